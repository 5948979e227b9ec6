import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NOTHING_TRIED } from './algorithm.js'
import { runAlgorithmSuite } from './algorithm.case.test.js'
import { LeastConnections } from './least-connections.js'
import type { Peer } from './peer.js'
import { peers, pickMany, seededRandom, tally } from './test-helpers.js'

runAlgorithmSuite({
  name: 'least-connections',
  create: (options) => new LeastConnections(options),
  // Held picks fill each peer to its weight share, give or take one tie.
  shareTolerance: 0.001,
})

const fresh = (seed = 1) => new LeastConnections({ random: seededRandom(seed) })

test('least-connections: at zero load the heavier peer wins (Kong +1 rule)', () => {
  const algorithm = fresh()
  algorithm.rebuild(peers([1, 3, 2]))
  assert.deepEqual([...tally(pickMany(algorithm, 50))], [['t1', 50]])
})

test('least-connections: held picks fill peers to (active+1)/weight', () => {
  const cases = [
    { weights: [1, 1, 1], held: 30, expected: [10, 10, 10] },
    { weights: [1, 2, 3], held: 60, expected: [10, 20, 30] },
    { weights: [100, 300], held: 8, expected: [2, 6] },
  ]
  for (const { weights, held, expected } of cases) {
    const algorithm = fresh()
    algorithm.rebuild(peers(weights))
    const counts = tally(pickMany(algorithm, held, { hold: true }))
    assert.deepEqual(
      weights.map((_, i) => counts.get(`t${i}`) ?? 0),
      expected,
      weights.join(':'),
    )
  }
})

test('least-connections: a peer holding long streams gets nothing until others catch up', () => {
  const algorithm = fresh()
  const list = peers([1, 1, 1])
  algorithm.rebuild(list)
  const held: Peer[] = []
  for (let i = 0; i < 30; i++) held.push(algorithm.pick(undefined, NOTHING_TRIED)!)
  // Short requests on t1 and t2 finish; t0 keeps its 10 streams open.
  for (const peer of held) if (peer.id !== 't0') algorithm.release(peer)
  assert.equal(algorithm.active(list[0]!), 10)
  const next = tally(pickMany(algorithm, 18, { hold: true }))
  assert.equal(next.get('t0'), undefined)
  assert.deepEqual([next.get('t1'), next.get('t2')], [9, 9])
})

test('least-connections: release is bounded by picks and ignores unknown peers', () => {
  const algorithm = fresh()
  const list = peers([1, 1])
  algorithm.rebuild(list)
  const peer = algorithm.pick(undefined, NOTHING_TRIED)!
  algorithm.release(peer)
  algorithm.release(peer)
  assert.equal(algorithm.active(peer), 0)
  algorithm.release(peers([1])[0]!)
  assert.equal(algorithm.active(list[0]!) + algorithm.active(list[1]!), 0)
})

test('least-connections: ties are shared evenly and differ with the random source', () => {
  const sequences = [1, 2].map((seed) => {
    const algorithm = fresh(seed)
    algorithm.rebuild(peers([1, 1, 1, 1]))
    return pickMany(algorithm, 4000)
  })
  for (const ids of sequences) {
    for (const count of tally(ids).values()) assert.ok(Math.abs(count - 1000) < 100, `${count}`)
  }
  assert.notDeepEqual(sequences[0], sequences[1])
})

test('least-connections: counts survive a rebuild for peers that stay', () => {
  const algorithm = fresh()
  const list = peers([1, 1, 1])
  algorithm.rebuild(list.slice(0, 2))
  pickMany(algorithm, 10, { hold: true })
  algorithm.rebuild(list)
  assert.equal(algorithm.active(list[0]!) + algorithm.active(list[1]!), 10)
  assert.equal(algorithm.active(list[2]!), 0)
  // The newcomer is the least loaded until it has caught up.
  assert.deepEqual([...tally(pickMany(algorithm, 5, { hold: true }))], [['t2', 5]])
})
