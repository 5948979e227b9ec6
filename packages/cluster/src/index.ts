// Public surface of @switchyard/cluster: event and snapshot types and the buses that carry them.
export * from './types.js'
export { InProcessBus, type EventListener } from './in-process-bus.js'
