import type { OutboxEvent } from '@switchyard/db'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OutboxTail } from './outbox-tail.js'

const ev = (version: number): OutboxEvent => ({ version, entity: 'targets', op: 'upsert', id: `id-${version}`, payload: { weight: version } })
const versions = (events: OutboxEvent[] | undefined) => events?.map((e) => e.version)

test('a range is served only when every version of it is held, in the epoch asked for', () => {
  const tail = new OutboxTail()
  // Nothing known yet: the first request reads the database, which fills the tail.
  assert.equal(tail.range('e1', 0, 3, 100), undefined)
  tail.add([ev(1), ev(2), ev(3)], 'e1')
  assert.deepEqual(versions(tail.range('e1', 0, 3, 100)), [1, 2, 3])
  assert.deepEqual(versions(tail.range('e1', 1, 3, 1)), [2], 'at most limit events')
  // Own commits arrive in any order; a hole means the database is read.
  tail.add([ev(5)], 'e1')
  assert.equal(tail.range('e1', 3, 5, 100), undefined, 'version 4 is missing')
  tail.add([ev(4)], 'e1')
  assert.deepEqual(versions(tail.range('e1', 3, 5, 100)), [4, 5])
  assert.deepEqual(tail.range('e1', 5, 5, 100), [], 'nothing after the newest')
  // Another epoch (a swapped or restored database): nothing held counts any more.
  assert.equal(tail.range('e2', 0, 5, 100), undefined)
  assert.equal(tail.size, 0)
  tail.add([ev(1)], 'e2')
  assert.deepEqual(versions(tail.range('e2', 0, 1, 100)), [1])
})

test('another event under a version held (a database restored in place) drops everything held', () => {
  const tail = new OutboxTail()
  tail.add([ev(1), ev(2), ev(3)], 'e1')
  tail.add([ev(2)], 'e1')
  assert.equal(tail.size, 3, 'the same event again changes nothing')
  tail.add([{ ...ev(2), id: 'other' }], 'e1')
  assert.equal(tail.size, 1)
  assert.equal(tail.range('e1', 1, 2, 10)?.[0]?.id, 'other')
  assert.equal(tail.range('e1', 0, 2, 10), undefined, 'version 1 must be read again')
})

test('newest: answered alone only with the next version, every one up to the newest known, and the epoch', () => {
  const tail = new OutboxTail()
  tail.add([ev(1), ev(2)], undefined)
  assert.equal(tail.newest(0, 10), undefined, 'epoch unknown')
  tail.add([ev(1), ev(2), ev(3)], 'e1')
  assert.deepEqual(tail.newest(1, 10), { epoch: 'e1', latest: 3, events: [ev(2), ev(3)] })
  assert.deepEqual(versions(tail.newest(0, 2)?.events), [1, 2], 'a page of at most limit events')
  assert.equal(tail.newest(0, 2)?.latest, 3)
  assert.equal(tail.newest(3, 10), undefined, 'nothing newer: the database says whether that is so')
  // A heartbeat or an outbox read saw version 5 (another control plane's commit): not held.
  tail.sawHead('e1', 5)
  assert.equal(tail.newest(3, 10), undefined)
  assert.equal(tail.newest(1, 10), undefined, 'versions 4 and 5 are missing')
  tail.add([ev(4), ev(5)], 'e1')
  assert.deepEqual(versions(tail.newest(1, 10)?.events), [2, 3, 4, 5])
  // A head in another epoch: the tail starts again.
  tail.sawHead('e2', 1)
  assert.equal(tail.size, 0)
  assert.equal(tail.newest(0, 10), undefined)
})

test('the oldest versions are dropped beyond the size kept', () => {
  const tail = new OutboxTail(3)
  tail.add([ev(1), ev(2), ev(3), ev(4), ev(5)], 'e1')
  assert.equal(tail.size, 3)
  assert.equal(tail.range('e1', 0, 5, 10), undefined, 'versions 1 and 2 were dropped')
  assert.deepEqual(versions(tail.range('e1', 2, 5, 10)), [3, 4, 5])
})
