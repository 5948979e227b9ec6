// Redis side of the doorbell: the control plane publishes notices, data planes subscribe.
// ioredis reconnects by itself with backoff; a data plane treats every (re)connection as a
// reason to catch up, since notices sent while it was away are lost.

import { Redis } from 'ioredis'
import { CONFIG_CHANNEL, formatNotice, parseNotice, type Notice } from './notices.js'
import { sentinelOptions } from './redis-url.js'

/**
 * Backoff between reconnect attempts, capped. The cap bounds how long a node stays deaf after
 * Redis returns (data planes must be caught up within 1 s of its return), so it stays well
 * under a second; a refused connect every half second is cheap.
 */
const RETRY_MAX_MS = 500
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), RETRY_MAX_MS)
/** How long a publish waits for a connection that is not ready before giving up. */
const READY_WAIT_MS = 1000

/** A connection for REDIS_URL: redis://, rediss://, with user:password (ACL), or Sentinel. */
export function connectRedis(url: string): Redis {
  const base = { retryStrategy, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false }
  const sentinel = sentinelOptions(url)
  const redis = sentinel ? new Redis({ ...sentinel, ...base }) : new Redis(url, base)
  // Errors are reported through the caller's status; an unhandled 'error' would crash us.
  redis.on('error', () => {})
  return redis
}

export class NoticePublisher {
  /** One shared wait for 'ready', however many publishes queue behind an outage. */
  private readyWait: Promise<void> | undefined

  constructor(private readonly redis: Redis) {}

  /**
   * Resolves when the connection is ready or after `READY_WAIT_MS`. Every publish during an
   * outage shares one listener, and the listener is removed on timeout: one listener per
   * publish used to pile up (MaxListenersExceededWarning after each outage).
   */
  private waitForReady(): Promise<void> {
    if (!this.readyWait) {
      this.readyWait = new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          this.redis.off('ready', done)
          this.readyWait = undefined
          resolve()
        }
        const timer = setTimeout(done, READY_WAIT_MS)
        this.redis.on('ready', done)
      })
    }
    return this.readyWait
  }

  /** 'ready' listeners this publisher holds right now (0 or 1); for the leak test. */
  get pendingReadyListeners(): number {
    return this.redis.listenerCount('ready')
  }

  /** Publishes a notice; resolves false when Redis is unreachable (writes still succeed). */
  async publish(notice: Notice): Promise<boolean> {
    try {
      // A connection still being set up gets a moment; a lost one fails fast.
      if (this.redis.status !== 'ready') await this.waitForReady()
      await this.redis.publish(CONFIG_CHANNEL, formatNotice(notice))
      return true
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}

export interface NoticeSubscriberEvents {
  onNotice(notice: Notice): void
  /** The subscription is (re)established: anything may have been missed. */
  onReady(): void
}

export class NoticeSubscriber {
  private readonly redis: Redis

  constructor(url: string, events: NoticeSubscriberEvents) {
    this.redis = connectRedis(url)
    this.redis.on('ready', () => {
      this.redis.subscribe(CONFIG_CHANNEL).then(
        () => events.onReady(),
        () => {}
      )
    })
    this.redis.on('message', (_channel: string, text: string) => {
      const notice = parseNotice(text)
      if (notice) events.onNotice(notice)
    })
  }

  get connected(): boolean {
    return this.redis.status === 'ready'
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}
