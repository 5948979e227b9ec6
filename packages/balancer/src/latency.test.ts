import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NOTHING_TRIED } from './algorithm.js'
import { runAlgorithmSuite } from './algorithm.case.test.js'
import {
  EWMA_DECAY_MS,
  IDLE_DECAY_MS,
  INITIAL_TTFB_MS,
  Latency,
  MIN_SAMPLE_WEIGHT,
} from './latency.js'
import { manualClock, peers, seededRandom, tally } from './test-helpers.js'

runAlgorithmSuite({
  name: 'latency',
  create: (options) => new Latency(options),
  // Unmeasured peers share one estimate, so held picks spread like least-connections.
  shareTolerance: 0.001,
})

function setup(weights: readonly number[]) {
  const clock = manualClock(1_000)
  const algorithm = new Latency({ now: clock.now, random: seededRandom(3) })
  const list = peers(weights)
  algorithm.rebuild(list)
  return { clock, algorithm, list }
}

test('latency: prefers the faster peer but still probes the slower one', () => {
  const { clock, algorithm } = setup([1, 1])
  const TTFB_MS: Record<string, number> = { t0: 50, t1: 500 }
  const picks: string[] = []
  // Sequential traffic, one request every 100 ms for 200 s.
  for (let i = 0; i < 2000; i++) {
    const peer = algorithm.pick(undefined, NOTHING_TRIED)!
    algorithm.reportTtfb(peer, TTFB_MS[peer.id]!)
    algorithm.release(peer)
    picks.push(peer.id)
    clock.advance(100)
  }
  const slow = tally(picks).get('t1') ?? 0
  assert.ok(slow / picks.length < 0.02, `slow peer got ${slow}`)
  // Probes keep coming: at least one in every 30 s of the run, not only at start-up.
  for (let window = 0; window < 2000; window += 300) {
    assert.ok(picks.slice(window, window + 300).includes('t1'), `no probe after pick ${window}`)
  }
})

test('latency: a busy fast peer shares with a slower idle one', () => {
  const { algorithm, list } = setup([1, 1])
  algorithm.reportTtfb(list[0]!, 100)
  algorithm.reportTtfb(list[1]!, 300)
  // With t0 at 100 ms, t1 at 300 ms: t0 takes picks until (active+1) × 100 exceeds 300.
  const held = Array.from({ length: 8 }, () => algorithm.pick(undefined, NOTHING_TRIED)!.id)
  assert.deepEqual(tally(held), new Map([['t0', 6], ['t1', 2]]))
  assert.equal(algorithm.active(list[0]!), 6)
})

test('latency: samples weigh by the time since the previous one', () => {
  const cases = [
    { gapMs: 0, expected: 100 + MIN_SAMPLE_WEIGHT * 100 },
    { gapMs: EWMA_DECAY_MS, expected: 100 + (1 - Math.exp(-1)) * 100 },
    { gapMs: 10 * EWMA_DECAY_MS, expected: 100 + (1 - Math.exp(-10)) * 100 },
  ]
  for (const { gapMs, expected } of cases) {
    const { clock, algorithm, list } = setup([1])
    const peer = list[0]!
    algorithm.reportTtfb(peer, 100) // the first sample replaces the seed outright
    assert.equal(algorithm.estimate(peer), 100)
    clock.advance(gapMs)
    algorithm.reportTtfb(peer, 200)
    assert.ok(Math.abs(algorithm.estimate(peer)! - expected) < 1e-9, `gap ${gapMs}`)
  }
})

test('latency: an estimate without fresh samples fades, inviting a probe', () => {
  const { clock, algorithm, list } = setup([1])
  algorithm.reportTtfb(list[0]!, 400)
  clock.advance(IDLE_DECAY_MS)
  assert.ok(Math.abs(algorithm.estimate(list[0]!)! - 400 * Math.exp(-1)) < 1e-9)
})

test('latency: new peers start at the best estimate and are tried promptly', () => {
  const { algorithm, list } = setup([1, 1])
  assert.equal(algorithm.estimate(list[0]!), INITIAL_TTFB_MS)
  algorithm.reportTtfb(list[0]!, 40)
  algorithm.reportTtfb(list[1]!, 90)
  const newcomer = peers([1, 1, 1])[2]!
  algorithm.rebuild([...list, newcomer])
  assert.equal(algorithm.estimate(newcomer), 40)
  assert.equal(algorithm.estimate(list[1]!), 90, 'existing estimates survive the rebuild')
  const first = Array.from({ length: 4 }, () => algorithm.pick(undefined, NOTHING_TRIED)!.id)
  assert.ok(first.includes('t2'), first.join(' '))
})

test('latency: invalid samples are ignored', () => {
  const { algorithm, list } = setup([1])
  for (const ms of [-1, Number.NaN, Infinity]) algorithm.reportTtfb(list[0]!, ms)
  assert.equal(algorithm.estimate(list[0]!), INITIAL_TTFB_MS)
  algorithm.reportTtfb(peers([1])[0]!, 5) // not a peer of this algorithm
  assert.equal(algorithm.estimate(list[0]!), INITIAL_TTFB_MS)
})

test('latency: weight divides the score', () => {
  const { algorithm, list } = setup([1, 4])
  algorithm.reportTtfb(list[0]!, 100)
  algorithm.reportTtfb(list[1]!, 300)
  // 300 / 4 = 75 beats 100 / 1 at zero load.
  assert.equal(algorithm.pick(undefined, NOTHING_TRIED)?.id, 't1')
})
