// The behaviour every AiStateStore must have; run by memory-ai-store.test.ts and
// redis-ai-store.test.ts.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { budgetWindow } from '@switchyard/ai'
import type { AiStateStore } from './ai-store.js'

async function waitFor(pred: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

// The current window: Redis expires budget keys a window after theirs ends.
const WINDOW = budgetWindow(Date.now()).start

export function runAiStoreSuite(name: string, open: () => Promise<AiStateStore>): void {
  describe(`AI state store: ${name}`, () => {
    test('a cooldown is stored, rings the doorbell once, and only a later one replaces it', async () => {
      const store = await open()
      const rings: string[] = []
      store.subscribe((u) => rings.push(u))
      await new Promise((r) => setTimeout(r, 100))
      const u = randomUUID()
      const now = Date.now()
      try {
        assert.deepEqual(await store.coolDown(u, 'a:1', now + 2000, 'rate_limited'), { until: now + 2000, reason: 'rate_limited' })
        await waitFor(() => rings.includes(u))
        // A shorter cooldown does not shorten it (and rings nothing).
        assert.deepEqual(await store.coolDown(u, 'a:1', now + 500, 'overloaded'), { until: now + 2000, reason: 'rate_limited' })
        assert.deepEqual(await store.coolDown(u, 'a:1', now + 3000, 'budget'), { until: now + 3000, reason: 'budget' })
        const states = await store.states(u, now)
        assert.deepEqual(states.get('a:1'), { cooldown: { until: now + 3000, reason: 'budget' } })
        // Expired state is not reported.
        assert.equal((await store.states(u, now + 3000)).size, 0)
        await new Promise((r) => setTimeout(r, 50))
        assert.equal(rings.filter((x) => x === u).length, 2)
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('remaining windows are reported, merged with cooldowns, and expire', async () => {
      const store = await open()
      const u = randomUUID()
      const now = Date.now()
      try {
        await store.reportRemaining(u, 'a:1', { share: 0.25, until: now + 1000, requests: 5, tokens: 700 })
        await store.reportRemaining(u, 'b:2', { share: 0.5, until: now + 1000 })
        await store.coolDown(u, 'b:2', now + 500, 'rate_limited')
        const s = await store.states(u, now)
        assert.deepEqual(s.get('a:1'), { remaining: { share: 0.25, until: now + 1000, requests: 5, tokens: 700 } })
        assert.deepEqual(s.get('b:2'), { cooldown: { until: now + 500, reason: 'rate_limited' }, remaining: { share: 0.5, until: now + 1000 } })
        assert.deepEqual((await store.states(u, now + 600)).get('b:2'), { remaining: { share: 0.5, until: now + 1000 } })
        await store.clear(u, 'a:1')
        assert.deepEqual([...(await store.states(u, now)).keys()], ['b:2'])
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('reservations follow admits: rpm, tpm, settle and refund', async () => {
      const store = await open()
      const u = randomUUID()
      try {
        const limits = { rpm: null, tpm: 1000 }
        for (let i = 0; i < 10; i++) {
          const r = await store.reserve(u, 'a:1', WINDOW, limits, 100)
          assert.equal(r.ok, true, `reservation ${i}`)
        }
        assert.deepEqual(await store.reserve(u, 'a:1', WINDOW, limits, 100), { ok: false, counts: { requests: 10, tokens: 0, reserved: 1000 } })
        // Settling 100 reserved against 40 used frees 60.
        await store.settle(u, 'a:1', WINDOW, 100, 40, false)
        assert.equal((await store.reserve(u, 'a:1', WINDOW, limits, 60)).ok, true)
        assert.equal((await store.reserve(u, 'a:1', WINDOW, limits, 1)).ok, false)
        // A refund gives the request back as well.
        await store.settle(u, 'a:1', WINDOW, 60, 0, true)
        const usage = await store.usage(u, WINDOW)
        assert.deepEqual(usage.get('a:1'), { requests: 10, tokens: 40, reserved: 900 })
        // Other windows and targets are separate.
        assert.equal((await store.reserve(u, 'a:1', WINDOW + 60_000, limits, 100)).ok, true)
        const rpm = { rpm: 2, tpm: null }
        assert.equal((await store.reserve(u, 'b:2', WINDOW, rpm, 0)).ok, true)
        assert.equal((await store.reserve(u, 'b:2', WINDOW, rpm, 0)).ok, true)
        assert.equal((await store.reserve(u, 'b:2', WINDOW, rpm, 0)).ok, false)
      } finally {
        await store.clear(u)
        await store.close()
      }
    })

    test('usage can be counted without a reservation (lowest-usage without a budget)', async () => {
      const store = await open()
      const u = randomUUID()
      try {
        await store.settle(u, 'z:9', WINDOW, 0, 120, false)
        await store.settle(u, 'z:9', WINDOW, 0, 30, false)
        assert.deepEqual((await store.usage(u, WINDOW)).get('z:9'), { requests: 0, tokens: 150, reserved: 0 })
      } finally {
        await store.close()
      }
    })

    test('concurrent reservations never admit more than the budget', async () => {
      const store = await open()
      const u = randomUUID()
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, () => store.reserve(u, 'c:3', WINDOW, { rpm: 25, tpm: null }, 10))
        )
        assert.equal(results.filter((r) => r.ok).length, 25)
      } finally {
        await store.close()
      }
    })
  })
}
