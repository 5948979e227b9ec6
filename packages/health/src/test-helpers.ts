// Test-only: the local Redis the health stores' tests run against, required, never skipped.

import { Redis } from 'ioredis'
import { before } from 'node:test'

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379'

/** Registers a `before` hook that fails the file loudly when the local Redis cannot be reached. */
export function requireRedis(url = TEST_REDIS_URL): void {
  before(async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    try {
      await probe.connect()
      await probe.ping()
    } catch (err) {
      throw new Error(`Redis is required at ${url} (run scripts/services.sh): ${(err as Error).message}`)
    } finally {
      probe.disconnect()
    }
  })
}
