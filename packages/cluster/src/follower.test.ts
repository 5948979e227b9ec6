// The follower against an in-memory source: applies events in order, repairs gaps, falls back
// to a snapshot on 410, never lets a forged or out-of-order event through, never overlaps
// catch-ups.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigFollower, type EventsPage, type FollowerSource, type FollowerTarget } from './follower.js'
import { emptyEntities, type ConfigEvent, type Snapshot } from './types.js'

function event(version: number): ConfigEvent {
  return { version, entity: 'upstreams', op: 'upsert', id: `id-${version}`, payload: { id: `id-${version}` } }
}

const EPOCH_A = '00000000-0000-4000-8000-00000000000a'
const EPOCH_B = '00000000-0000-4000-8000-00000000000b'

class MemorySource implements FollowerSource {
  epoch = EPOCH_A
  events: ConfigEvent[] = []
  oldest = 1
  calls = 0
  snapshots = 0
  pageSize = 1000
  inFlight = 0
  maxInFlight = 0

  async snapshot(): Promise<Snapshot> {
    this.snapshots++
    const latest = this.events.at(-1)?.version ?? 0
    return { epoch: this.epoch, version: latest, entities: emptyEntities() }
  }

  async eventsAfter(version: number): Promise<EventsPage> {
    this.calls++
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    await new Promise((r) => setTimeout(r, 5))
    this.inFlight--
    const latest = this.events.at(-1)?.version ?? 0
    if (version < latest && this.oldest > version + 1) return { ok: false, gone: true }
    return { ok: true, epoch: this.epoch, latest, events: this.events.filter((e) => e.version > version).slice(0, this.pageSize) }
  }
}

class Target implements FollowerTarget {
  version = 0
  // As if a snapshot of epoch A had been loaded at version 0.
  epoch: string | undefined = EPOCH_A
  applied: number[] = []
  loadSnapshot(s: Snapshot) {
    this.version = s.version
    this.epoch = s.epoch
  }
  apply(e: ConfigEvent) {
    assert.equal(e.version, this.version + 1, 'applied strictly in order')
    this.applied.push(e.version)
    this.version = e.version
  }
}

test('catches up over several pages in version order', async () => {
  const src = new MemorySource()
  src.pageSize = 7
  src.events = Array.from({ length: 30 }, (_, i) => event(i + 1))
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.trigger()
  assert.equal(target.version, 30)
  assert.deepEqual(target.applied, Array.from({ length: 30 }, (_, i) => i + 1))
})

test('a notice at the applied version in our epoch does nothing; ahead triggers one catch-up', async () => {
  const src = new MemorySource()
  src.events = [event(1), event(2)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.bootstrap()
  const calls = src.calls
  f.noticeVersion(2)
  f.noticeVersion(2, EPOCH_A)
  assert.equal(src.calls, calls)
  // Behind us: one check with the control plane, which says nothing changed.
  f.noticeVersion(1, EPOCH_A)
  await f.trigger()
  assert.equal(src.snapshots, 1, 'a forged lower version costs a catch-up, not a snapshot')
  assert.equal(target.version, 2)
  src.events.push(event(3))
  f.noticeVersion(3)
  await f.trigger()
  assert.equal(target.version, 3)
})

test('a 410 falls back to a fresh snapshot', async () => {
  const src = new MemorySource()
  src.events = [event(1), event(2), event(3), event(4)]
  src.oldest = 4
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.trigger()
  assert.equal(src.snapshots, 1)
  assert.equal(target.version, 4)
})

test('invalid and out-of-order events are never applied', async () => {
  const src = new MemorySource()
  const forged = { version: 2, entity: 'nope', op: 'upsert', id: 'x', payload: {} } as unknown as ConfigEvent
  src.events = [event(1), forged, event(3)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.trigger()
  assert.equal(target.version, 1, 'stops at the hole instead of skipping it')
})

test('a version that was never committed (a hole in the outbox) is passed with a snapshot', async () => {
  const src = new MemorySource()
  src.events = [event(1), event(2), event(4), event(5)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.trigger()
  assert.deepEqual(target.applied, [1, 2])
  assert.equal(src.snapshots, 1)
  assert.equal(target.version, 5)
})

test('triggers during a catch-up coalesce into one more run, never concurrent', async () => {
  const src = new MemorySource()
  src.events = [event(1)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  const runs = [f.trigger(), f.trigger(), f.trigger()]
  src.events.push(event(2))
  f.noticeVersion(2)
  await Promise.all(runs)
  await f.trigger()
  assert.equal(target.version, 2)
  assert.equal(src.maxInFlight, 1)
})

test('a notice with a huge forged version does not wedge later catch-ups', async () => {
  const src = new MemorySource()
  src.events = [event(1)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  f.noticeVersion(Number.MAX_SAFE_INTEGER)
  await f.trigger()
  src.events.push(event(2))
  f.noticeVersion(2)
  await f.trigger()
  assert.equal(target.version, 2)
})

test('errors are reported and the next trigger retries', async () => {
  const src = new MemorySource()
  src.events = [event(1)]
  let fail = true
  const errors: unknown[] = []
  const flaky: FollowerSource = {
    snapshot: () => src.snapshot(),
    eventsAfter: (v) => (fail ? Promise.reject(new Error('down')) : src.eventsAfter(v)),
  }
  const target = new Target()
  const f = new ConfigFollower(flaky, target, { onError: (e) => errors.push(e) })
  await f.trigger()
  assert.equal(errors.length, 1)
  fail = false
  await f.trigger()
  assert.equal(target.version, 1)
})

test('another epoch from the control plane reloads the snapshot, even at the same version', async () => {
  const src = new MemorySource()
  src.events = [event(1), event(2), event(3)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.bootstrap()
  assert.equal(target.epoch, EPOCH_A)
  // The database is recreated and reaches version 3 again with other content.
  src.epoch = EPOCH_B
  src.events = [event(1), event(2), event(3)]
  f.noticeVersion(3, EPOCH_B)
  await f.trigger()
  assert.equal(src.snapshots, 2)
  assert.equal(target.epoch, EPOCH_B)
  assert.deepEqual(target.applied, [], 'no event of the other epoch was applied on top of ours')
})

test('a notice in another epoch that the control plane does not confirm changes nothing', async () => {
  const src = new MemorySource()
  src.events = [event(1)]
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.bootstrap()
  f.noticeVersion(1, EPOCH_B)
  await f.trigger()
  assert.equal(src.snapshots, 1)
  assert.equal(target.epoch, EPOCH_A)
})

test("the control plane's newest version below ours (a restored backup, same epoch) reloads the snapshot", async () => {
  const src = new MemorySource()
  src.events = Array.from({ length: 10 }, (_, i) => event(i + 1))
  const target = new Target()
  const f = new ConfigFollower(src, target)
  await f.bootstrap()
  src.events = src.events.slice(0, 4)
  f.noticeVersion(4, EPOCH_A)
  await f.trigger()
  assert.equal(src.snapshots, 2)
  assert.equal(target.version, 4)
  src.events.push(event(5))
  f.noticeVersion(5, EPOCH_A)
  await f.trigger()
  assert.equal(target.version, 5, 'follows the restored database from there')
})
