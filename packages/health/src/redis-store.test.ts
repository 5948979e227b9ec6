import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { before } from 'node:test'
import { RedisHealthStore } from './redis-store.js'
import { runHealthStoreSuite } from './store.case.test.js'

const REDIS_URL = 'redis://127.0.0.1:6379'
// Each run gets its own key prefix (and channel), so parallel runs never see each other.
const prefix = `switchyard:test:health:${randomUUID()}`

before(async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    await probe.connect()
    await probe.ping()
  } catch (err) {
    throw new Error(`Redis is required at ${REDIS_URL} (run scripts/services.sh): ${(err as Error).message}`)
  } finally {
    probe.disconnect()
  }
})

runHealthStoreSuite('redis', async () => new RedisHealthStore({ url: REDIS_URL, prefix }))
