import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AlgorithmName } from './algorithms.js'
import { ALGORITHM_NAMES } from './algorithms.js'
import type { PickResult } from './balancer.js'
import type { UpstreamConfig } from './upstream-config.js'
import { Balancer } from './balancer.js'
import { BALANCER_UNHEALTHY, NO_PEERS_AVAILABLE } from './errors.js'
import type { Handle } from './handle.js'
import type { TargetConfig } from './peer.js'
import { longestRun, manualClock, seededRandom, tally, targets, upstream } from './test-helpers.js'

function make(
  algorithm: AlgorithmName,
  list: readonly TargetConfig[],
  overrides: Partial<UpstreamConfig> = {},
) {
  const clock = manualClock(1_000)
  const balancer = new Balancer(upstream(algorithm, overrides), list, {
    now: clock.now,
    random: seededRandom(11),
  })
  return { balancer, clock }
}

function ok(result: PickResult): { id: string; handle: Handle } {
  if (!result.ok) assert.fail(`pick failed: ${result.error.message}`)
  return { id: result.peer.id, handle: result.handle }
}

/** n picks, each with its own hash value; held open unless `release` is set. */
function run(balancer: Balancer, n: number, release = false): string[] {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const { id, handle } = ok(balancer.pick({ hashValue: `key-${i}` }))
    if (release) handle.release()
    ids.push(id)
  }
  return ids
}

test('balancer: invalid configuration throws, naming the problem', () => {
  type Case = { overrides?: Partial<UpstreamConfig>; list?: TargetConfig[]; match: RegExp }
  const cases: Case[] = [
    { overrides: { slots: 9 }, match: /slots/ },
    { overrides: { slots: 65537 }, match: /slots/ },
    { overrides: { healthchecks: { threshold: 101 } }, match: /threshold/ },
    { overrides: { algorithm: 'sticky' as AlgorithmName }, match: /algorithm/ },
    { list: [{ id: 'a', target: 'h:1', weight: 70000 }], match: /weight/ },
    { list: [{ id: 'a', target: 'h:x', weight: 1 }], match: /port/ },
  ]
  for (const { overrides, list = [], match } of cases) {
    assert.throws(() => make('round-robin', list, overrides), match)
  }
  const { balancer } = make('round-robin', targets([1]))
  const invalid = { id: 'x', target: 'h', weight: -1 }
  assert.throws(() => balancer.setTargets([...targets([1, 1]), invalid]), /weight/)
  assert.equal(balancer.peers().length, 1, 'a rejected update changes nothing')
})

test('balancer: round-robin through the balancer interleaves and honours weights', () => {
  const { balancer } = make('round-robin', targets([5, 1, 1, 0]))
  const ids = run(balancer, 70, true)
  assert.deepEqual(ids.slice(0, 7), ['t0', 't0', 't1', 't0', 't2', 't0', 't0'])
  assert.deepEqual(tally(ids), new Map([['t0', 50], ['t1', 10], ['t2', 10]]))
  assert.ok(longestRun(ids) <= 4)
})

for (const algorithm of ALGORITHM_NAMES) {
  test(`balancer (${algorithm}): backups serve only when no primary is usable`, () => {
    const { balancer } = make(algorithm, [...targets([1, 1]), ...targets([1, 3], true, 2)])
    const phases = [
      { down: [], primary: true },
      { down: ['t0'], primary: true },
      { down: ['t0', 't1'], primary: false },
      { down: ['t1'], primary: true },
    ]
    for (const { down, primary } of phases) {
      for (const id of ['t0', 't1']) balancer.setHealth(id, !down.includes(id))
      const counts = tally(run(balancer, 4000))
      const backup = (counts.get('t2') ?? 0) + (counts.get('t3') ?? 0)
      assert.equal(backup === 0, primary, `${down.join(',')}: ${[...counts]}`)
      for (const id of down) assert.equal(counts.get(id), undefined)
      if (!primary) {
        // Backups split by weight 1:3 with the same algorithm.
        const share = (counts.get('t3') ?? 0) / 4000
        assert.ok(Math.abs(share - 0.75) < 0.05, `t3 share ${share}`)
      }
    }
  })

  test(`balancer (${algorithm}): weight-0 primaries hand over to backups`, () => {
    const { balancer } = make(algorithm, [...targets([0, 0]), ...targets([1], true, 2)])
    assert.deepEqual(tally(run(balancer, 50, true)), new Map([['t2', 50]]))
  })

  test(`balancer (${algorithm}): retries never repeat a peer, then run out`, () => {
    const { balancer } = make(algorithm, [...targets([1, 2, 3]), ...targets([1], true, 3)])
    for (let request = 0; request < 50; request++) {
      const request_ = { hashValue: `req-${request}` }
      let result = balancer.pick(request_)
      const seen: string[] = []
      while (result.ok) {
        assert.ok(!seen.includes(result.peer.id), `${seen} then ${result.peer.id}`)
        seen.push(result.peer.id)
        assert.equal(result.handle.attempts, seen.length)
        result = balancer.pick(request_, result.handle)
      }
      assert.equal(result.error, NO_PEERS_AVAILABLE)
      // Primaries first, the backup only after all of them.
      assert.deepEqual(seen.slice(0, 3).sort(), ['t0', 't1', 't2'])
      assert.equal(seen[3], 't3')
    }
  })
}

test('balancer: threshold health follows Kong (strict >, weight-based, fail closed)', () => {
  const cases = [
    { weights: [10, 10, 10, 10], threshold: 50, down: ['t0'], healthy: true },
    { weights: [10, 10, 10, 10], threshold: 50, down: ['t0', 't1'], healthy: false },
    { weights: [10, 30], threshold: 50, down: ['t0'], healthy: true },
    { weights: [10, 30], threshold: 50, down: ['t1'], healthy: false },
    { weights: [10, 10], threshold: 0, down: ['t0'], healthy: true },
    { weights: [10, 10], threshold: 0, down: ['t0', 't1'], healthy: false },
    { weights: [10, 10], threshold: 100, down: [], healthy: false },
    { weights: [0, 0], threshold: 0, down: [], healthy: false },
    { weights: [], threshold: 0, down: [], healthy: false },
  ]
  for (const { weights, threshold, down, healthy } of cases) {
    const { balancer } = make('round-robin', targets(weights), { healthchecks: { threshold } })
    for (const id of down) balancer.setHealth(id, false)
    const label = `${weights}/${threshold}/${down}`
    assert.equal(balancer.healthy, healthy, label)
    assert.equal(balancer.health().healthy, healthy, label)
    const result = balancer.pick({})
    if (healthy) assert.equal(result.ok, true, label)
    else assert.deepEqual(result, { ok: false, error: BALANCER_UNHEALTHY }, label)
  }
})

test('balancer: backups count toward health, keeping it up while they serve', () => {
  const { balancer } = make('round-robin', [...targets([10]), ...targets([10], true, 1)])
  balancer.setHealth('t0', false)
  assert.equal(balancer.healthy, true)
  assert.equal(ok(balancer.pick({})).id, 't1')
})

test('balancer: health() reports weights per target and in total', () => {
  const list = [...targets([10, 20, 0]), ...targets([5], true, 3)]
  const { balancer } = make('round-robin', list, { healthchecks: { threshold: 25 } })
  balancer.setHealth('10.0.0.2:8000', false)
  const health = balancer.health()
  assert.deepEqual(
    { ...health, targets: undefined },
    {
      id: 'u1',
      name: 'models',
      healthy: true,
      threshold: 25,
      weight: { total: 35, available: 15, unavailable: 20 },
      targets: undefined,
    },
  )
  assert.deepEqual(
    health.targets.map((t) => [t.id, t.nodeWeight, t.healthy, t.backup, t.weight]),
    [
      ['t0', 10, true, false, { total: 10, available: 10, unavailable: 0 }],
      ['t1', 20, false, false, { total: 20, available: 0, unavailable: 20 }],
      ['t2', 0, true, false, { total: 0, available: 0, unavailable: 0 }],
      ['t3', 5, true, true, { total: 5, available: 5, unavailable: 0 }],
    ],
  )
  assert.deepEqual([health.targets[0]!.host, health.targets[0]!.port], ['10.0.0.1', 8000])
})

test('balancer: setHealth and removeTarget accept id or host:port', () => {
  const { balancer } = make('round-robin', targets([1, 1]))
  assert.equal(balancer.setHealth('t0', false), true)
  assert.equal(balancer.peer('10.0.0.1:8000')?.available, false)
  assert.equal(balancer.setHealth('10.0.0.1:8000', true), true)
  assert.equal(balancer.peer('t0')?.available, true)
  assert.equal(balancer.setHealth('nope', false), false)
  assert.equal(balancer.removeTarget('10.0.0.2:8000'), true)
  assert.equal(balancer.removeTarget('t1'), false)
  assert.deepEqual(run(balancer, 3, true), ['t0', 't0', 't0'])
})

test('balancer: release is idempotent and a retry releases the previous attempt', () => {
  const { balancer } = make('least-connections', targets([1, 1]))
  const first = ok(balancer.pick({}))
  first.handle.release()
  first.handle.release()
  first.handle.release()
  // Both idle again: a double release must not have made one look emptier than idle.
  const a = ok(balancer.pick({}))
  const b = ok(balancer.pick({}))
  assert.notEqual(a.id, b.id)
  // Retrying `a` ends its first attempt: its old peer is idle, b's is still busy.
  const retried = ok(balancer.pick({}, a.handle))
  assert.equal(retried.id, b.id, 'the only untried peer')
  assert.equal(retried.handle, a.handle, 'one handle follows the request')
  assert.deepEqual([...retried.handle.tried].sort(), ['t0', 't1'])
  retried.handle.release()
  b.handle.release()
  const held = [ok(balancer.pick({})), ok(balancer.pick({}))]
  assert.notEqual(held[0]!.id, held[1]!.id, 'counts are back to zero on both peers')
  assert.throws(() => balancer.pick({}, { ...held[0]!.handle }), TypeError)
})

test('balancer: a peer holding long streams gets fewer new picks', () => {
  const { balancer } = make('least-connections', targets([1, 1, 1]))
  const handles = Array.from({ length: 30 }, () => ok(balancer.pick({})))
  for (const { id, handle } of handles) if (id !== 't0') handle.release()
  const next = tally(run(balancer, 20))
  assert.equal(next.get('t0'), undefined)
  assert.deepEqual([next.get('t1'), next.get('t2')], [10, 10])
})

test('balancer: latency is fed through handle.reportTtfb', () => {
  const { balancer, clock } = make('latency', targets([1, 1]))
  const TTFB_MS: Record<string, number> = { t0: 400, t1: 40 }
  const picks: string[] = []
  for (let i = 0; i < 300; i++) {
    const { id, handle } = ok(balancer.pick({}))
    handle.reportTtfb(TTFB_MS[id]!)
    handle.reportTtfb(1) // only the first report of an attempt counts
    handle.release()
    picks.push(id)
    clock.advance(50)
  }
  assert.ok((tally(picks).get('t1') ?? 0) > 290, `${[...tally(picks)]}`)
})

test('balancer: consistent hashing is sticky; a retry moves to the next peer on the ring', () => {
  const { balancer } = make('consistent-hashing', targets([1, 1, 1]))
  for (let i = 0; i < 100; i++) {
    const key = { hashValue: `conversation-${i}` }
    const first = ok(balancer.pick(key))
    assert.equal(ok(balancer.pick(key)).id, first.id)
    const retry = ok(balancer.pick(key, first.handle))
    assert.notEqual(retry.id, first.id)
    // The same key fails over to the same peer on every request and node.
    const again = ok(balancer.pick(key))
    assert.equal(ok(balancer.pick(key, again.handle)).id, retry.id)
  }
})

test('balancer: incremental updates keep in-flight counts, estimates and health', () => {
  const { balancer } = make('least-connections', targets([1, 1, 1]))
  const handles = Array.from({ length: 30 }, () => ok(balancer.pick({})))
  for (const { id, handle } of handles) if (id === 't1' || id === 't2') handle.release()
  balancer.setHealth('t2', false)
  // Touch other targets in every way an update can.
  balancer.upsertTarget({ id: 't3', target: '10.0.0.4:8000', weight: 1 })
  balancer.upsertTarget({ id: 't1', target: '10.0.0.2:8000', weight: 2 })
  balancer.setTargets([...targets([1, 2, 1]), { id: 't3', target: '10.0.0.4:8000', weight: 1 }])
  balancer.updateUpstream(upstream('least-connections', { name: 'renamed' }))
  assert.equal(balancer.peer('t2')?.available, false, 'health kept')
  // t0 still holds its 10 streams: 20 new picks go to t1 (weight 2) and t3 only.
  const next = tally(run(balancer, 20))
  assert.equal(next.get('t0'), undefined, `${[...next]}`)
  assert.equal(next.get('t2'), undefined)
  assert.equal(balancer.name, 'renamed')
})

test('balancer: incremental updates keep latency estimates', () => {
  const { balancer } = make('latency', targets([1, 1]))
  for (const [id, ms] of [['t0', 30], ['t1', 900]] as const) {
    const result = ok(balancer.pick({}))
    const attempt = result.id === id ? result : ok(balancer.pick({}, result.handle))
    attempt.handle.reportTtfb(ms)
    attempt.handle.release()
  }
  balancer.upsertTarget({ id: 't1', target: '10.0.0.2:8000', weight: 2 })
  balancer.upsertTarget({ id: 't2', target: '10.0.0.3:8000', weight: 1 })
  // Had t1 been reset it would tie with the others; it stays the slow one (900 / 2 = 450 per
  // pick against 30 × in-flight for t0 and the newcomer t2, seeded at the best estimate).
  assert.equal(tally(run(balancer, 20)).get('t1'), undefined)
})

test('balancer: a re-created target keeps its address health, a moved one starts fresh', () => {
  const { balancer } = make('round-robin', targets([1, 1]))
  balancer.setHealth('t0', false)
  balancer.setHealth('t1', false)
  balancer.setTargets([
    { id: 'new-id', target: '10.0.0.1:8000', weight: 1 },
    { id: 't1', target: '10.0.0.9:8000', weight: 1 },
  ])
  assert.equal(balancer.peer('t0'), undefined)
  assert.equal(balancer.peer('new-id')?.available, false)
  assert.equal(balancer.peer('t1')?.available, true)
  assert.equal(balancer.peer('t1')?.host, '10.0.0.9')
  assert.deepEqual(run(balancer, 2, true), ['t1', 't1'])
})

test('balancer: a target can move between tiers', () => {
  const { balancer } = make('round-robin', targets([1, 1]))
  balancer.upsertTarget({ id: 't1', target: '10.0.0.2:8000', weight: 1, backup: true })
  assert.deepEqual(tally(run(balancer, 10, true)), new Map([['t0', 10]]))
  balancer.setHealth('t0', false)
  assert.deepEqual(tally(run(balancer, 10, true)), new Map([['t1', 10]]))
  balancer.upsertTarget({ id: 't1', target: '10.0.0.2:8000', weight: 1, backup: false })
  balancer.setHealth('t0', true)
  assert.deepEqual(tally(run(balancer, 10, true)), new Map([['t0', 5], ['t1', 5]]))
})

test('balancer: updateUpstream switches algorithm and threshold in place', () => {
  const { balancer } = make('round-robin', targets([1, 1, 1, 1]))
  balancer.setHealth('t3', false)
  balancer.updateUpstream(upstream('round-robin', { healthchecks: { threshold: 80 } }))
  assert.equal(balancer.healthy, false)
  balancer.updateUpstream(upstream('consistent-hashing', { slots: 1000 }))
  assert.equal(balancer.healthy, true)
  assert.equal(balancer.algorithm, 'consistent-hashing')
  const sticky = ok(balancer.pick({ hashValue: 'abc' })).id
  assert.ok(run(balancer, 5, true).length === 5)
  assert.equal(ok(balancer.pick({ hashValue: 'abc' })).id, sticky)
  assert.equal(balancer.peer('t3')?.available, false, 'health survives an algorithm switch')
})

test('balancer: handles outliving their target or algorithm are harmless', () => {
  const { balancer } = make('least-connections', targets([1, 1]))
  const a = ok(balancer.pick({}))
  const b = ok(balancer.pick({}))
  balancer.removeTarget(a.id)
  a.handle.release()
  balancer.updateUpstream(upstream('latency'))
  b.handle.reportTtfb(10)
  b.handle.release()
  assert.equal(run(balancer, 4, true).length, 4)
})

test('setShare: share 0 takes a target out of rotation on every algorithm, health untouched', () => {
  for (const algorithm of ALGORITHM_NAMES) {
    const { balancer } = make(algorithm, targets([1, 1, 1]))
    assert.equal(balancer.setShare('t1', 0), true)
    const ids = run(balancer, 300, true)
    assert.ok(!ids.includes('t1'), `${algorithm} picked a cooling target`)
    assert.equal(balancer.health().weight.available, 3, `${algorithm}: Kong's health totals see configured weight`)
    balancer.setShare('t1', 1)
    assert.ok(run(balancer, 300, true).includes('t1'), `${algorithm} never came back`)
  }
  assert.equal(make('round-robin', targets([1])).balancer.setShare('nope', 0), false)
})

test('setShare: a partial share scales the traffic split (round-robin, least-connections)', () => {
  for (const algorithm of ['round-robin', 'least-connections'] as const) {
    const { balancer } = make(algorithm, targets([100, 100]))
    balancer.setShare('10.0.0.1:8000', 0.25)
    const counts = tally(run(balancer, 5000, algorithm === 'round-robin'))
    const share = (counts.get('t0') ?? 0) / 5000
    assert.ok(Math.abs(share - 0.2) < 0.01, `${algorithm}: t0 share ${share}`)
  }
})

test('setShare survives weight changes and clamps its input', () => {
  const { balancer } = make('round-robin', targets([10, 10]))
  balancer.setShare('t0', 0.5)
  balancer.upsertTarget({ id: 't0', target: '10.0.0.1:8000', weight: 40 })
  assert.equal(balancer.peer('t0')?.effective, 20)
  balancer.setShare('t0', 7)
  assert.equal(balancer.peer('t0')?.share, 1)
  balancer.setShare('t0', Number.NaN)
  assert.equal(balancer.peer('t0')?.share, 0)
})

test('lowest-usage through the balancer: setUsage and addUsage steer picks', () => {
  const { balancer } = make('lowest-usage', targets([1, 1]))
  balancer.setUsage('t0', 500)
  assert.equal(ok(balancer.pick({})).id, 't1')
  balancer.addUsage('t1', 1000)
  assert.equal(ok(balancer.pick({})).id, 't0')
  balancer.setUsage('t1', -3)
  assert.equal(balancer.peer('t1')?.usage, 0)
})
