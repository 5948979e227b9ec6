import assert from 'node:assert/strict'
import { budgetWindow } from '@switchyard/ai'
import { Redis } from 'ioredis'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { runAiStoreSuite } from './ai-store.case.test.js'
import { requireRedis, TEST_REDIS_URL } from './test-helpers.js'
import { RedisAiStore } from './redis-ai-store.js'
import { parseDoorbell } from './redis-doorbell.js'

const REDIS_URL = TEST_REDIS_URL
// Each run gets its own key prefix (and channel), so parallel runs never see each other.
const prefix = `switchyard:test:ai:${randomUUID()}`

requireRedis()

runAiStoreSuite('redis', async () => new RedisAiStore({ url: REDIS_URL, prefix }))

test('redis AI keys expire by themselves', async () => {
  const store = new RedisAiStore({ url: REDIS_URL, prefix })
  const redis = new Redis(REDIS_URL)
  const u = randomUUID()
  try {
    const until = Date.now() + 5000
    await store.coolDown(u, 'a:1', until, 'rate_limited')
    const expiry = Number(await redis.pexpiretime(`${prefix}:cd:${u}`))
    assert.ok(expiry >= until + 59_000 && expiry <= until + 61_000, `expiry ${expiry - until}`)
    const window = budgetWindow(Date.now()).start
    await store.reserve(u, 'a:1', window, { rpm: 5, tpm: null }, 1)
    assert.equal(Number(await redis.pexpiretime(`${prefix}:b:${u}:${window}`)), window + 120_000)
  } finally {
    await store.clear(u)
    await store.close()
    redis.disconnect()
  }
})

test('doorbells name an upstream and nothing else; malformed ones are dropped', () => {
  assert.equal(parseDoorbell('{"u":"abc"}'), 'abc')
  assert.equal(parseDoorbell('{"u":"abc","t":"x","until":1}'), 'abc')
  for (const bad of ['', 'null', '{}', '{"u":5}', 'not json', `{"u":"${'x'.repeat(100)}"}`]) {
    assert.equal(parseDoorbell(bad), undefined, bad)
  }
})
