// The behaviour every HealthStore must have; run by memory-store.test.ts and redis-store.test.ts.
// The Redis store's Lua script must agree with counters.ts outcome for outcome.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { applyOutcome, INITIAL_STATE, type Outcome, type Thresholds } from './counters.js'
import type { HealthChange, HealthStore } from './store.js'

const T: Thresholds = { successes: 2, httpFailures: 3, tcpFailures: 2, timeouts: 1 }

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

export function runHealthStoreSuite(name: string, open: () => Promise<HealthStore>): void {
  describe(`health store: ${name}`, () => {
    test('flips at the threshold and publishes exactly one change', async () => {
      const store = await open()
      const changes: HealthChange[] = []
      store.subscribe((c) => changes.push(c))
      await new Promise((r) => setTimeout(r, 100))
      const u = randomUUID()
      try {
        assert.deepEqual(await store.report(u, 'a:1', 'http_failure', T), { status: 'healthy', changed: false })
        await store.report(u, 'a:1', 'http_failure', T)
        assert.deepEqual(await store.report(u, 'a:1', 'http_failure', T), { status: 'unhealthy', changed: true })
        assert.deepEqual(await store.report(u, 'a:1', 'http_failure', T), { status: 'unhealthy', changed: false })
        await waitFor(() => changes.some((c) => c.upstreamId === u))
        await new Promise((r) => setTimeout(r, 50))
        assert.deepEqual(changes.filter((c) => c.upstreamId === u), [{ upstreamId: u, target: 'a:1', status: 'unhealthy' }])
        const states = await store.states(u)
        assert.equal(states.get('a:1')?.status, 'unhealthy')
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('agrees with the pure state machine on a long random sequence', async () => {
      const store = await open()
      const u = randomUUID()
      const kinds: Outcome[] = ['success', 'http_failure', 'tcp_failure', 'timeout']
      let seed = 7
      const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
      let expected = INITIAL_STATE
      try {
        for (let i = 0; i < 300; i++) {
          const o = kinds[Math.floor(rnd() * kinds.length)]!
          expected = applyOutcome(expected, o, T)
          const r = await store.report(u, 'b:2', o, T)
          assert.equal(r.status, expected.status, `step ${i}`)
        }
        const got = (await store.states(u)).get('b:2') ?? INITIAL_STATE
        assert.deepEqual(got, expected)
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('manual set overrides, zeroes counters and publishes', async () => {
      const store = await open()
      const changes: HealthChange[] = []
      store.subscribe((c) => changes.push(c))
      await new Promise((r) => setTimeout(r, 100))
      const u = randomUUID()
      try {
        await store.report(u, 'c:3', 'http_failure', T)
        await store.set(u, 'c:3', 'unhealthy')
        assert.deepEqual((await store.states(u)).get('c:3'), { status: 'unhealthy', successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 })
        await waitFor(() => changes.some((c) => c.upstreamId === u && c.status === 'unhealthy'))
        await store.set(u, 'c:3', 'healthy')
        await waitFor(() => changes.some((c) => c.upstreamId === u && c.status === 'healthy'))
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('concurrent reports are counted exactly (no lost updates)', async () => {
      const store = await open()
      const u = randomUUID()
      const big: Thresholds = { successes: 1, httpFailures: 200, tcpFailures: 0, timeouts: 0 }
      try {
        await Promise.all(Array.from({ length: 50 }, () => store.report(u, 'd:4', 'http_failure', big)))
        assert.equal((await store.states(u)).get('d:4')?.httpFailures, 50)
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('clear forgets one target or a whole upstream', async () => {
      const store = await open()
      const u = randomUUID()
      try {
        await store.set(u, 'e:1', 'unhealthy')
        await store.set(u, 'e:2', 'unhealthy')
        await store.clear(u, 'e:1')
        assert.deepEqual([...(await store.states(u)).keys()], ['e:2'])
        await store.clear(u)
        assert.equal((await store.states(u)).size, 0)
      } finally {
        await store.close()
      }
    })
  })
}
