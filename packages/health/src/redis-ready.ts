// Commands are not queued while Redis is away (callers must fail fast, not pile up), so a
// command first waits briefly for a connection that is still being established. Concurrent
// callers share one wait, so a burst at start-up adds one listener, not one per command.

import type { Redis } from 'ioredis'

const CONNECT_WAIT_MS = 1000
const pending = new WeakMap<Redis, Promise<void>>()

export async function whenReady(redis: Redis, waitMs = CONNECT_WAIT_MS): Promise<void> {
  if (redis.status === 'ready') return
  let wait = pending.get(redis)
  if (!wait) {
    wait = new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs)
      function done() {
        clearTimeout(timer)
        redis.off('ready', done)
        pending.delete(redis)
        resolve()
      }
      redis.once('ready', done)
    })
    pending.set(redis, wait)
  }
  await wait
}
