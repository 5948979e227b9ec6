import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runAlgorithmSuite } from './algorithm.case.test.js'
import { RoundRobin } from './round-robin.js'
import { longestRun, peers, pickMany, tally } from './test-helpers.js'

runAlgorithmSuite({ name: 'round-robin', create: () => new RoundRobin(), shareTolerance: 0.001 })

test('round-robin: interleaves like nginx smooth WRR', () => {
  const cases = [
    { weights: [5, 1, 1], sequence: 't0 t0 t1 t0 t2 t0 t0' },
    { weights: [1, 1, 1], sequence: 't0 t1 t2 t0 t1 t2' },
    { weights: [2, 1], sequence: 't0 t1 t0 t0 t1 t0' },
    { weights: [0, 3, 1], sequence: 't1 t1 t2 t1' },
  ]
  for (const { weights, sequence } of cases) {
    const algorithm = new RoundRobin()
    algorithm.rebuild(peers(weights))
    const expected = sequence.split(' ')
    assert.deepEqual(pickMany(algorithm, expected.length), expected, weights.join(':'))
  }
})

test('round-robin: exact ratios per cycle and bounded runs', () => {
  // Longest run measured over whole cycles, wrap-around included (5:1:1 is a a b a c a a | a a …).
  // The heaviest peer cannot do better than ceil(w_max / w_rest) in a row; smooth WRR stays within
  // one of that, where Kong's shuffled wheel can put all of w_max in one run.
  const cases = [
    { weights: [5, 1, 1], longest: 4 },
    { weights: [4, 2, 1], longest: 2 },
    { weights: [100, 99], longest: 2 },
    { weights: [5, 1], longest: 5 },
    { weights: [10, 1], longest: 10 },
    { weights: [3, 3, 3, 1], longest: 1 },
    { weights: [65535, 1], longest: 65535 },
  ]
  for (const { weights, longest } of cases) {
    const algorithm = new RoundRobin()
    algorithm.rebuild(peers(weights))
    const total = weights.reduce((a, b) => a + b, 0)
    const ids = pickMany(algorithm, total * 3)
    const counts = tally(ids)
    weights.forEach((w, i) => assert.equal(counts.get(`t${i}`) ?? 0, w * 3, `t${i}`))
    const heaviest = Math.max(...weights)
    const bound = Math.ceil(heaviest / (total - heaviest)) + 1
    assert.equal(longestRun(ids), longest, weights.join(':'))
    assert.ok(longest <= bound, `${weights.join(':')} bound ${bound}`)
  }
})

test('round-robin: a recovered peer does not receive a burst', () => {
  const algorithm = new RoundRobin()
  const list = peers([1, 1, 1])
  algorithm.rebuild(list)
  list[0]!.available = false
  pickMany(algorithm, 100)
  list[0]!.available = true
  const ids = pickMany(algorithm, 30)
  assert.ok(longestRun(ids) <= 2, ids.join(' '))
  assert.equal(tally(ids).get('t0'), 10)
})

test('round-robin: the cycle survives a rebuild that keeps the peers', () => {
  const continuous = new RoundRobin()
  const rebuilt = new RoundRobin()
  const list = peers([5, 1, 1])
  continuous.rebuild(list)
  rebuilt.rebuild(list)
  const a = pickMany(continuous, 10)
  const b = pickMany(rebuilt, 3)
  rebuilt.rebuild([...list])
  b.push(...pickMany(rebuilt, 7))
  assert.deepEqual(b, a)
})
