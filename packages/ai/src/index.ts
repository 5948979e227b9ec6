// Public surface of @switchyard/ai: pure AI-aware balancing logic (no I/O, clock passed in).
export * from './duration.js'
export * from './signals.js'
export * from './settings.js'
export * from './cooldown.js'
export * from './budget.js'
export * from './share.js'
