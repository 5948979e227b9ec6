import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NOTHING_TRIED } from './algorithm.js'
import { runAlgorithmSuite } from './algorithm.case.test.js'
import { ConsistentHashing, POINTS_PER_TARGET } from './consistent-hashing.js'
import { murmur3 } from './murmur3.js'
import type { MutablePeer } from './peer.js'
import { createPeer } from './peer.js'
import { peers, seededRandom, shuffled, tally, targets } from './test-helpers.js'

runAlgorithmSuite({
  name: 'consistent-hashing',
  create: (options) => new ConsistentHashing(options),
  // 6000 distinct keys over 160 points per mean weight: shares land within a few percent.
  shareTolerance: 0.05,
})

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)

function ring(list: readonly MutablePeer[], slots = 10_000): ConsistentHashing {
  const algorithm = new ConsistentHashing({ slots })
  algorithm.rebuild(list)
  return algorithm
}

function owners(algorithm: ConsistentHashing, tried: ReadonlySet<string> = NOTHING_TRIED) {
  return KEYS.map((key) => algorithm.pick(key, tried)?.id)
}

test('consistent-hashing: a key sticks to its peer', () => {
  const algorithm = ring(peers([1, 1, 1]))
  for (const key of ['alice', 'bob', 'conversation-42', '']) {
    const first = algorithm.pick(key, NOTHING_TRIED)?.id
    for (let i = 0; i < 50; i++) assert.equal(algorithm.pick(key, NOTHING_TRIED)?.id, first, key)
  }
  // No hash value hashes like the empty string: one peer takes it all, as in Kong.
  assert.equal(algorithm.pick(undefined, NOTHING_TRIED)?.id, algorithm.pick('', NOTHING_TRIED)?.id)
})

test('consistent-hashing: 5 → 6 equal targets moves < 20% of 10,000 keys, all to the new', () => {
  for (const slots of [1000, 10_000, 65_536]) {
    const before = owners(ring(peers([1, 1, 1, 1, 1]), slots))
    const after = owners(ring(peers([1, 1, 1, 1, 1, 1]), slots))
    const moved = KEYS.filter((_, i) => before[i] !== after[i]).length
    assert.ok(moved / KEYS.length < 0.2, `slots ${slots}: ${moved} keys moved`)
    assert.ok(moved / KEYS.length > 0.1, `slots ${slots}: the new target took only ${moved}`)
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== after[i]) assert.equal(after[i], 't5', KEYS[i])
    }
  }
})

test('consistent-hashing: removing a target moves only its own keys', () => {
  const all = peers([1, 1, 1, 1, 1, 1])
  const before = owners(ring(all))
  for (const removed of ['t0', 't3', 't5']) {
    const after = owners(ring(all.filter((p) => p.id !== removed)))
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== removed) assert.equal(after[i], before[i], `${removed} ${KEYS[i]}`)
      else assert.notEqual(after[i], removed)
    }
  }
})

test('consistent-hashing: an unavailable or tried peer sends its keys where removal would', () => {
  // Equal weights: removal then leaves the mean weight, and so every other point count, unchanged.
  const all = peers([1, 1, 1, 1])
  const algorithm = ring(all)
  const before = owners(algorithm)
  const withoutT1 = owners(ring(all.filter((p) => p.id !== 't1')))
  all[1]!.available = false
  assert.deepEqual(owners(algorithm), withoutT1)
  all[1]!.available = true
  assert.deepEqual(owners(algorithm), before)
  // A retry after t1 failed walks on, exactly like the unhealthy case.
  assert.deepEqual(owners(algorithm, new Set(['t1'])), withoutT1)
})

test('consistent-hashing: every node builds the same ring from differently ordered input', () => {
  const random = seededRandom(99)
  const weights = [100, 50, 200, 100, 10, 100, 75]
  const reference = ring(peers(weights))
  for (let round = 0; round < 5; round++) {
    // Fresh peer objects in a different order, as another node would hold them.
    const other = ring(shuffled(peers(weights), random))
    assert.deepEqual(other.points(), reference.points())
    assert.deepEqual(owners(other), owners(reference))
  }
})

test('consistent-hashing: points follow weight, and small rings still work', () => {
  const cases = [
    { weights: [1, 1], slots: 10_000, points: [160, 160] },
    { weights: [1, 3], slots: 10_000, points: [80, 240] },
    { weights: [100, 0, 100], slots: 10_000, points: [160, 0, 160] },
  ]
  for (const { weights, slots, points } of cases) {
    const counts = tally(ring(peers(weights), slots).points().map((p) => p.target))
    weights.forEach((_, i) => {
      assert.equal(counts.get(`10.0.0.${i + 1}:8000`) ?? 0, points[i], `${weights} t${i}`)
    })
  }
  // Ten positions for 480 points: almost every position is a collision, settled by hash, so
  // the owners are still spread instead of the first peer in address order taking all.
  const tiny = ring(peers([1, 1, 1]), 10)
  assert.ok(new Set(tiny.points().map((p) => p.position)).size <= 10)
  const seen = tally(owners(tiny).map(String))
  assert.equal(seen.size, 3, [...seen.keys()].join(','))
})

// The ring as it was built before points were cached: every point hashed and sorted afresh by
// (position, hash, peer order). The incremental build must give exactly this.
function referenceRing(list: readonly MutablePeer[], slots: number) {
  const weighted = list
    .filter((p) => p.weight > 0)
    .sort((a, b) => compare(a.target, b.target) || compare(a.id, b.id))
  if (weighted.length === 0) return []
  const mean = weighted.reduce((sum, p) => sum + p.weight, 0) / weighted.length
  const all: Array<{ hash: number; order: number }> = []
  weighted.forEach((peer, order) => {
    const count = Math.max(1, Math.round((POINTS_PER_TARGET * peer.weight) / mean))
    for (let i = 0; i < count; i++) all.push({ hash: murmur3(`${peer.target} ${i}`), order })
  })
  all.sort((a, b) => a.hash % slots - b.hash % slots || a.hash - b.hash || a.order - b.order)
  return all.map((p) => ({ position: p.hash % slots, target: weighted[p.order]!.target }))
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

test('consistent-hashing: rebuilding after random changes gives the ring a full build gives', () => {
  const random = seededRandom(7)
  for (const slots of [10, 1000, 10_000, 65_536]) {
    const algorithm = new ConsistentHashing({ slots })
    let list: MutablePeer[] = []
    let next = 0
    for (let step = 0; step < 120; step++) {
      const roll = random()
      if (roll < 0.35 || list.length === 0) {
        // A new target; now and then at an address used before (its cached points come back).
        const n = random() < 0.2 && next > 0 ? Math.floor(random() * next) : next++
        const [peer] = targets([Math.floor(random() * 4) * 50])
        list.push(
          createPeer({ ...peer!, id: `id-${step}`, target: `10.1.${n >> 8}.${n & 255}:80` }),
        )
      } else if (roll < 0.55) {
        list.splice(Math.floor(random() * list.length), 1)
      } else if (roll < 0.85) {
        // A weight change (0 included) on a fresh peer object, as the balancer's re-weight does
        // in place: both must work.
        const i = Math.floor(random() * list.length)
        list[i]!.weight = [0, 1, 50, 100, 100, 100, 250][Math.floor(random() * 7)]!
      } else {
        list = shuffled(list, random)
      }
      algorithm.rebuild(list)
      assert.deepEqual(algorithm.points(), referenceRing(list, slots), `slots ${slots} step ${step}`)
    }
  }
})

test('consistent-hashing: a target change hashes only that target’s points', () => {
  const list = peers(Array.from({ length: 20 }, () => 100))
  const algorithm = ring(list)
  assert.equal(algorithm.hashedPoints, 20 * POINTS_PER_TARGET)
  // Another target at the mean weight: its 160 points and nothing else.
  const added = createPeer({ id: 'new', target: '10.9.9.9:80', weight: 100 })
  algorithm.rebuild([...list, added])
  assert.equal(algorithm.hashedPoints, 21 * POINTS_PER_TARGET)
  // Removing it and re-weighting another (which moves every count) hashes only the points a
  // count now needs beyond those already cached.
  list[0]!.weight = 300
  algorithm.rebuild(list)
  const mean = (19 * 100 + 300) / 20
  const grown = Math.round((POINTS_PER_TARGET * 300) / mean) - POINTS_PER_TARGET
  assert.equal(algorithm.hashedPoints, 21 * POINTS_PER_TARGET + grown)
  assert.deepEqual(algorithm.points(), referenceRing(list, 10_000))
})
