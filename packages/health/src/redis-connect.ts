// The health package's Redis connections for REDIS_URL in every form the cluster takes
// (redis://, rediss://, user:password@ for ACL users, redis+sentinel://…/master), so shared
// health, the prober lease and AI state follow a Sentinel failover like the config notices do.

import { sentinelOptions } from '@switchyard/cluster'
import { Redis, type RedisOptions } from 'ioredis'

export function redisFor(url: string, options: RedisOptions): Redis {
  const sentinel = sentinelOptions(url)
  const redis = sentinel ? new Redis({ ...sentinel, ...options }) : new Redis(url, options)
  // Errors surface through the callers' results; an unhandled 'error' would crash the process.
  redis.on('error', () => {})
  return redis
}

const retryStrategy = (n: number) => Math.min(50 * 2 ** Math.min(n, 6), 2000)

/** A connection for commands: fail fast while Redis is away, never queue. */
export function redisCommands(url: string): Redis {
  return redisFor(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy })
}

/** A connection for a subscription, reconnecting with the same back-off. */
export function redisSubscriber(url: string): Redis {
  return redisFor(url, { retryStrategy })
}
