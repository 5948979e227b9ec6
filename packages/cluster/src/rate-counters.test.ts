// The rate-limit counter store against the real local Redis (127.0.0.1:6379; every key is
// under a per-run random prefix and expires by itself), plus unreachable and hung servers.
// Fails loudly when the local Redis is unreachable.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { CounterStoreUnavailableError, RedisRateCounters, type RedisCounterTarget } from './rate-counters.js'

const LOCAL: RedisCounterTarget = { host: '127.0.0.1', port: 6379, database: 0, timeoutMs: 2000 }
const prefix = `test:ratecounters:${randomBytes(6).toString('hex')}`
const probe = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0 })
const store = new RedisRateCounters()

before(async () => {
  try {
    await probe.connect()
    assert.equal(await probe.ping(), 'PONG')
  } catch (err) {
    throw new Error(`Redis is required at 127.0.0.1:6379 (run scripts/services.sh): ${(err as Error).message}`)
  }
})
after(async () => {
  const keys = await probe.keys(`${prefix}:*`)
  if (keys.length > 0) await probe.del(...keys)
  probe.disconnect()
  await store.close()
})

describe('RedisRateCounters on the local Redis', () => {
  test('answers the usage before each increment and sets the expiry only on creation', async () => {
    const key = `${prefix}:seq`
    assert.deepEqual(await store.increment(LOCAL, [{ key, ttlMs: 60_000 }]), [0])
    const ttl1 = await probe.pttl(key)
    assert.ok(ttl1 > 59_000 && ttl1 <= 60_000, `pttl ${ttl1}`)
    // A later increment with a shorter ttl must not touch the expiry.
    assert.deepEqual(await store.increment(LOCAL, [{ key, ttlMs: 5_000 }]), [1])
    assert.deepEqual(await store.increment(LOCAL, [{ key, ttlMs: 5_000 }]), [2])
    const ttl2 = await probe.pttl(key)
    assert.ok(ttl2 > 5_000 && ttl2 <= ttl1, `pttl ${ttl2} after later increments`)
    assert.equal(await probe.get(key), '3')
  })

  test('several keys in one call, each with its own ttl', async () => {
    const a = `${prefix}:multi:a`
    const b = `${prefix}:multi:b`
    await store.increment(LOCAL, [{ key: a, ttlMs: 10_000 }])
    assert.deepEqual(
      await store.increment(LOCAL, [
        { key: a, ttlMs: 10_000 },
        { key: b, ttlMs: 1_500 },
      ]),
      [1, 0]
    )
    const ttlB = await probe.pttl(b)
    assert.ok(ttlB > 0 && ttlB <= 1_500, `pttl ${ttlB}`)
    // Fractional and sub-millisecond ttls round up to at least 1 ms (never "no expiry").
    const c = `${prefix}:multi:c`
    await store.increment(LOCAL, [{ key: c, ttlMs: 0 }])
    assert.notEqual(await probe.pttl(c), -1, 'a key always gets an expiry')
  })

  test('concurrent increments are atomic: every prior value is seen exactly once', async () => {
    const key = `${prefix}:burst`
    const all = await Promise.all(Array.from({ length: 50 }, () => store.increment(LOCAL, [{ key, ttlMs: 60_000 }])))
    const seen = all.map((r) => r[0]!).sort((x, y) => x - y)
    assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i))
  })

  test('one connection per distinct server/database/credentials, reused; keys land in the configured database', async () => {
    const own = new RedisRateCounters()
    try {
      const key = `${prefix}:db`
      await own.increment(LOCAL, [{ key, ttlMs: 10_000 }])
      await own.increment({ ...LOCAL }, [{ key, ttlMs: 10_000 }])
      assert.equal(own.size, 1)
      assert.deepEqual(await own.increment({ ...LOCAL, database: 1 }, [{ key, ttlMs: 10_000 }]), [0])
      assert.equal(own.size, 2)
      const db1 = new Redis({ host: '127.0.0.1', port: 6379, db: 1, maxRetriesPerRequest: 0 })
      try {
        assert.equal(await db1.get(key), '1')
        await db1.del(key)
      } finally {
        db1.disconnect()
      }
      assert.equal(await probe.get(key), '2')
    } finally {
      await own.close()
    }
  })
})

describe('RedisRateCounters when Redis cannot be reached', () => {
  test('a refused connection fails at once, and keeps failing fast', async () => {
    const port = await deadPort()
    const own = new RedisRateCounters()
    try {
      const target = { ...LOCAL, port }
      await assert.rejects(own.increment(target, [{ key: 'k', ttlMs: 1000 }]), CounterStoreUnavailableError)
      const t0 = performance.now()
      await assert.rejects(own.increment(target, [{ key: 'k', ttlMs: 1000 }]), CounterStoreUnavailableError)
      assert.ok(performance.now() - t0 < 100, 'known-down server answers without waiting')
    } finally {
      await own.close()
    }
  })

  test('a server that accepts but never answers: the first call waits the timeout, the next fails fast', async () => {
    const sockets = new Set<net.Socket>()
    const hung = net.createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
    })
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r))
    const port = (hung.address() as net.AddressInfo).port
    const own = new RedisRateCounters()
    try {
      const target = { ...LOCAL, port, timeoutMs: 200 }
      const t0 = performance.now()
      await assert.rejects(own.increment(target, [{ key: 'k', ttlMs: 1000 }]), CounterStoreUnavailableError)
      const first = performance.now() - t0
      assert.ok(first >= 150 && first < 1500, `first call took ${Math.round(first)} ms`)
      const t1 = performance.now()
      await assert.rejects(own.increment(target, [{ key: 'k', ttlMs: 1000 }]), CounterStoreUnavailableError)
      assert.ok(performance.now() - t1 < 100, 'second call fails fast')
    } finally {
      await own.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => hung.close(() => r()))
    }
  })

  test('a closed store refuses', async () => {
    const own = new RedisRateCounters()
    await own.close()
    await assert.rejects(own.increment(LOCAL, [{ key: 'k', ttlMs: 1000 }]), CounterStoreUnavailableError)
  })
})

async function deadPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}
