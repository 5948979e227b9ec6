// The listening side of a Redis doorbell channel, shared by the health and AI stores: messages
// name an upstream (`{"u":"<id>"}`) and nothing else, so a listener re-reads that upstream's
// state from the store. One subscriber connection per channel, opened on the first listener;
// every (re)subscription tells the resync listeners, since rings may have been missed meanwhile.

import type { Redis } from 'ioredis'
import { redisSubscriber } from './redis-connect.js'

/** The upstream a doorbell names; undefined for anything malformed (extra fields are ignored). */
export function parseDoorbell(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as { u?: unknown } | null
    return typeof v?.u === 'string' && v.u.length <= 64 ? v.u : undefined
  } catch {
    return undefined
  }
}

export function formatDoorbell(upstreamId: string): string {
  return JSON.stringify({ u: upstreamId })
}

export class RedisDoorbell {
  private sub: Redis | undefined
  private readonly listeners = new Set<(upstreamId: string) => void>()
  private readonly resyncListeners = new Set<() => void>()

  constructor(
    private readonly url: string,
    private readonly channel: string
  ) {}

  subscribe(listener: (upstreamId: string) => void): () => void {
    this.listeners.add(listener)
    if (!this.sub) {
      const sub = redisSubscriber(this.url)
      sub.on('ready', () => {
        sub.subscribe(this.channel).then(
          () => {
            for (const l of this.resyncListeners) l()
          },
          () => {}
        )
      })
      sub.on('message', (_channel: string, text: string) => {
        const upstreamId = parseDoorbell(text)
        if (upstreamId !== undefined) for (const l of this.listeners) l(upstreamId)
      })
      this.sub = sub
    }
    return () => this.listeners.delete(listener)
  }

  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener)
    return () => this.resyncListeners.delete(listener)
  }

  close(): void {
    this.listeners.clear()
    this.resyncListeners.clear()
    this.sub?.disconnect()
  }
}
