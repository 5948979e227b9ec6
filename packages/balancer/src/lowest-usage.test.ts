import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NOTHING_TRIED } from './algorithm.js'
import { LowestUsage } from './lowest-usage.js'
import { peers, seededRandom, tally } from './test-helpers.js'

test('lowest-usage: the least used per unit of weight wins', () => {
  const cases: { weights: number[]; usage: number[]; expected: string }[] = [
    { weights: [1, 1, 1], usage: [30, 10, 20], expected: 't1' },
    { weights: [100, 300], usage: [100, 200], expected: 't1' }, // 1.0 vs 0.67 per unit
    { weights: [100, 100], usage: [0, 50], expected: 't0' },
    { weights: [0, 100], usage: [0, 500], expected: 't1' }, // weight 0 is never picked
  ]
  for (const { weights, usage, expected } of cases) {
    const list = peers(weights)
    list.forEach((p, i) => (p.usage = usage[i]!))
    const algorithm = new LowestUsage({ random: seededRandom(1) })
    algorithm.rebuild(list)
    assert.equal(algorithm.pick(undefined, NOTHING_TRIED)?.id, expected, `${weights}/${usage}`)
  }
})

test('lowest-usage: ties are shared, not always the first', () => {
  const list = peers([1, 1, 1, 1])
  const algorithm = new LowestUsage({ random: seededRandom(3) })
  algorithm.rebuild(list)
  const ids: string[] = []
  for (let i = 0; i < 4000; i++) ids.push(algorithm.pick(undefined, NOTHING_TRIED)!.id)
  for (const [, n] of tally(ids)) assert.ok(n > 850 && n < 1150, `tie share ${n}`)
})

test('lowest-usage: usage that grows with each pick spreads traffic by weight', () => {
  const list = peers([1, 2, 3])
  const algorithm = new LowestUsage({ random: seededRandom(5) })
  algorithm.rebuild(list)
  const ids: string[] = []
  for (let i = 0; i < 6000; i++) {
    const p = algorithm.pick(undefined, NOTHING_TRIED)!
    list.find((x) => x.id === p.id)!.usage += 100
    ids.push(p.id)
  }
  const t = tally(ids)
  assert.ok(Math.abs(t.get('t0')! / 6000 - 1 / 6) < 0.01)
  assert.ok(Math.abs(t.get('t2')! / 6000 - 3 / 6) < 0.01)
})

test('lowest-usage: skips tried, unhealthy and zero-share peers', () => {
  const list = peers([1, 1, 1])
  list[0]!.available = false
  list[1]!.effective = 0
  const algorithm = new LowestUsage({ random: seededRandom(1) })
  algorithm.rebuild(list)
  assert.equal(algorithm.pick(undefined, NOTHING_TRIED)?.id, 't2')
  assert.equal(algorithm.pick(undefined, new Set(['t2'])), undefined)
})
