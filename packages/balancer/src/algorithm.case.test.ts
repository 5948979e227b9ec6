// Conformance suite every algorithm runs (imported by each algorithm's test file, not run alone):
// the properties of Kong's balancer specs that hold for all of them.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { NOTHING_TRIED } from './algorithm.js'
import { manualClock, peers, pickMany, seededRandom, tally } from './test-helpers.js'

export interface AlgorithmSuite {
  readonly name: string
  readonly create: (options: AlgorithmOptions) => Algorithm
  /** Allowed absolute error of each traffic share (exact algorithms use a tiny one). */
  readonly shareTolerance: number
}

const PICKS = 6000

export function runAlgorithmSuite({ name, create, shareTolerance }: AlgorithmSuite): void {
  const fresh = () => create({ ...manualClock(), random: seededRandom(7), slots: 10_000 })
  // Held picks (never released) so load-aware algorithms spread by weight; distinct hash values
  // so consistent hashing spreads keys. Every algorithm must then split traffic by weight.
  const spread = (algorithm: Algorithm, n = PICKS) =>
    tally(pickMany(algorithm, n, { hold: true, hash: (i) => `key-${i}` }))

  const weightCases = [
    { weights: [1, 1, 1] },
    { weights: [1, 2, 3] },
    { weights: [100, 300] },
    { weights: [5, 1, 1] },
  ]
  for (const { weights } of weightCases) {
    test(`${name}: concurrent traffic splits by weight ${weights.join(':')}`, () => {
      const algorithm = fresh()
      algorithm.rebuild(peers(weights))
      const counts = spread(algorithm)
      const total = weights.reduce((a, b) => a + b, 0)
      weights.forEach((w, i) => {
        const share = (counts.get(`t${i}`) ?? 0) / PICKS
        assert.ok(Math.abs(share - w / total) <= shareTolerance, `t${i} share ${share}`)
      })
    })
  }

  test(`${name}: weight 0 gets nothing, released or held`, () => {
    for (const hold of [false, true]) {
      const algorithm = fresh()
      algorithm.rebuild(peers([0, 5, 5, 0]))
      const counts = tally(pickMany(algorithm, 1000, { hold, hash: (i) => `k${i}` }))
      assert.equal(counts.get('t0'), undefined)
      assert.equal(counts.get('t3'), undefined)
    }
  })

  test(`${name}: unavailable peers are skipped and return when healthy again`, () => {
    const algorithm = fresh()
    const list = peers([1, 1, 1])
    algorithm.rebuild(list)
    list[1]!.available = false
    assert.equal(spread(algorithm, 600).get('t1'), undefined)
    list[1]!.available = true
    assert.ok((spread(algorithm, 600).get('t1') ?? 0) > 0)
  })

  test(`${name}: tried peers are never returned, and all tried means none`, () => {
    const algorithm = fresh()
    algorithm.rebuild(peers([3, 2, 1]))
    for (let i = 0; i < 100; i++) {
      const peer = algorithm.pick(`k${i}`, new Set(['t0', 't2']))
      assert.equal(peer?.id, 't1')
    }
    assert.equal(algorithm.pick('k', new Set(['t0', 't1', 't2'])), undefined)
  })

  test(`${name}: nothing to pick from an empty or all-zero tier`, () => {
    const algorithm = fresh()
    algorithm.rebuild([])
    assert.equal(algorithm.pick('k', NOTHING_TRIED), undefined)
    algorithm.rebuild(peers([0, 0]))
    assert.equal(algorithm.pick('k', NOTHING_TRIED), undefined)
  })

  test(`${name}: a rebuild drops removed peers and adopts new ones`, () => {
    const algorithm = fresh()
    const list = peers([1, 1, 1, 1])
    algorithm.rebuild(list.slice(0, 3))
    assert.equal(spread(algorithm, 300).get('t3'), undefined)
    algorithm.rebuild(list.slice(1))
    const counts = spread(algorithm, 600)
    assert.equal(counts.get('t0'), undefined)
    assert.ok((counts.get('t3') ?? 0) > 0)
  })
}
