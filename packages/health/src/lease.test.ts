import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { MemoryLease, RedisLease, type Lease } from './lease.js'

function suite(name: string, open: () => Lease, wait: (ms: number) => Promise<void>) {
  describe(`lease: ${name}`, () => {
    test('one holder at a time; renewal by the holder; takeover after expiry; release', async () => {
      const lease = open()
      const n = `t:${randomUUID()}`
      try {
        assert.equal(await lease.acquire(n, 'a', 200), true)
        assert.equal(await lease.acquire(n, 'b', 200), false)
        assert.equal(await lease.acquire(n, 'a', 200), true, 'holder renews')
        await wait(300)
        assert.equal(await lease.acquire(n, 'b', 200), true, 'taken over after expiry')
        await lease.release(n, 'a')
        assert.equal(await lease.acquire(n, 'a', 200), false, 'a non-holder cannot release')
        await lease.release(n, 'b')
        assert.equal(await lease.acquire(n, 'a', 200), true)
      } finally {
        await lease.release(n, 'a')
        await lease.close()
      }
    })
  })
}

let fake = 0
suite('memory', () => new MemoryLease(() => fake), async (ms) => void (fake += ms))
suite('redis', () => new RedisLease('redis://127.0.0.1:6379', `switchyard:test:lease:${randomUUID()}`), (ms) => new Promise((r) => setTimeout(r, ms)))

test('redis lease reports false instead of throwing when Redis is unreachable', async () => {
  const lease = new RedisLease('redis://127.0.0.1:1')
  try {
    assert.equal(await lease.acquire('x', 'a', 100), false)
  } finally {
    await lease.close()
  }
})
