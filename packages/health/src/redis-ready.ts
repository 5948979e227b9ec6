// Commands are not queued while Redis is away (callers must fail fast, not pile up), so a
// command first waits briefly for a connection that is still being established.

import type { Redis } from 'ioredis'

const CONNECT_WAIT_MS = 1000

export async function whenReady(redis: Redis, waitMs = CONNECT_WAIT_MS): Promise<void> {
  if (redis.status === 'ready') return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, waitMs)
    function done() {
      clearTimeout(timer)
      redis.off('ready', done)
      resolve()
    }
    redis.once('ready', done)
  })
}
