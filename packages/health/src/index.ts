// Public surface of @switchyard/health: Kong's health counter state machine, the stores that
// share it (memory, Redis), the lease and the active prober.
export * from './counters.js'
export * from './config.js'
export type { HealthStore, HealthChange, ReportResult } from './store.js'
export { MemoryHealthStore } from './memory-store.js'
export { RedisHealthStore, DEFAULT_HEALTH_PREFIX, type RedisHealthStoreOptions } from './redis-store.js'
export { MemoryLease, RedisLease, type Lease } from './lease.js'
export { probe, type ProbeTarget } from './probe.js'
export { ActiveProber, type ActiveProberOptions, type ProbedUpstream } from './active-prober.js'
export type { AiStateStore, StoredCooldown, StoredRemaining, TargetAiState, Reservation } from './ai-store.js'
export { MemoryAiStore } from './memory-ai-store.js'
export { RedisAiStore, DEFAULT_AI_PREFIX, type RedisAiStoreOptions } from './redis-ai-store.js'
export { parseDoorbell, formatDoorbell } from './redis-doorbell.js'
