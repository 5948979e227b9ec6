// Redis side of the doorbell: the control plane publishes notices, data planes subscribe.
// ioredis reconnects by itself with backoff; a data plane treats every (re)connection as a
// reason to catch up, since notices sent while it was away are lost.

import { Redis } from 'ioredis'
import { CONFIG_CHANNEL, formatNotice, parseNotice, type Notice } from './notices.js'

/**
 * Backoff between reconnect attempts, capped. The cap bounds how long a node stays deaf after
 * Redis returns (data planes must be caught up within 1 s of its return), so it stays well
 * under a second; a refused connect every half second is cheap.
 */
const RETRY_MAX_MS = 500
const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), RETRY_MAX_MS)

export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    retryStrategy,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  })
  // Errors are reported through the caller's status; an unhandled 'error' would crash us.
  redis.on('error', () => {})
  return redis
}

export class NoticePublisher {
  constructor(private readonly redis: Redis) {}

  /** Publishes a notice; resolves false when Redis is unreachable (writes still succeed). */
  async publish(notice: Notice): Promise<boolean> {
    try {
      if (this.redis.status !== 'ready') {
        // A connection still being set up gets a moment; a lost one fails fast.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000)
          this.redis.once('ready', () => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
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
