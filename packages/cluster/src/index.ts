// Public surface of @switchyard/cluster: event and snapshot types, the config hash, the
// Redis doorbell, the follower that keeps a data plane in step, the buses, and the Redis
// rate-limit counter store.
export * from './types.js'
export { InProcessBus, type EventListener } from './in-process-bus.js'
export { configHash, canonicalJson, entityDigest, ConfigHashSum } from './config-hash.js'
export { CONFIG_CHANNEL, HEALTH_CHANNEL, parseNotice, formatNotice, isEpoch, type Notice } from './notices.js'
export { connectRedis, NoticePublisher, NoticeSubscriber, type NoticeSubscriberEvents } from './redis-notices.js'
export { ConfigFollower, isConfigEvent, type EventsPage, type FollowerSource, type FollowerTarget, type FollowerHooks } from './follower.js'
export { ClusterClient } from './cluster-client.js'
export { sentinelOptions, redactRedisUrl } from './redis-url.js'
export { CLUSTER_SERVER_NAME, isClusterPeer, isOn, loadClusterTls, type ClusterTls } from './cluster-tls.js'
export { readCacheFile, writeCacheFile } from './cache-file.js'
export {
  RedisRateCounters,
  CounterStoreUnavailableError,
  type RedisCounterTarget,
  type CounterIncrement,
  type RedisRateCountersOptions,
} from './rate-counters.js'
