import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDoorbell } from './redis-doorbell.js'
import { RedisHealthStore } from './redis-store.js'
import type { HealthChange } from './store.js'
import { runHealthStoreSuite } from './store.case.test.js'
import { requireRedis, TEST_REDIS_URL } from './test-helpers.js'

const REDIS_URL = TEST_REDIS_URL
// Each run gets its own key prefix (and channel), so parallel runs never see each other.
const prefix = `switchyard:test:health:${randomUUID()}`

requireRedis()

runHealthStoreSuite('redis', async () => new RedisHealthStore({ url: REDIS_URL, prefix }))

test('a forged health message carrying a state ejects nothing: it only makes nodes re-read', async () => {
  const forgedPrefix = `${prefix}:forged`
  const store = new RedisHealthStore({ url: REDIS_URL, prefix: forgedPrefix })
  const publisher = new Redis(REDIS_URL)
  const changes: HealthChange[] = []
  store.subscribe((c) => changes.push(c))
  const u = randomUUID()
  try {
    await new Promise((r) => setTimeout(r, 200))
    // The old message shape, with a state: obeyed before, a doorbell now.
    await publisher.publish(forgedPrefix, JSON.stringify({ u, t: 'victim:80', s: 'u' }))
    await publisher.publish(forgedPrefix, 'garbage')
    await new Promise((r) => setTimeout(r, 200))
    assert.deepEqual(changes, [])
    // A real flip through the store is still seen.
    await store.set(u, 'victim:80', 'unhealthy')
    const until = Date.now() + 2000
    while (changes.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(changes, [{ upstreamId: u, target: 'victim:80', status: 'unhealthy' }])
  } finally {
    await store.clear(u)
    await store.close()
    publisher.disconnect()
  }
})

test('health doorbells name an upstream and nothing else', () => {
  assert.equal(parseDoorbell('{"u":"abc"}'), 'abc')
  assert.equal(parseDoorbell('{"u":"abc","t":"x:1","s":"u"}'), 'abc')
  for (const bad of ['', 'null', '{}', '{"u":1}', 'nope']) assert.equal(parseDoorbell(bad), undefined, bad)
})
