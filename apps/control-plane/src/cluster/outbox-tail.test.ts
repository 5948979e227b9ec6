import type { OutboxEvent } from '@switchyard/db'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshRead, OutboxTail } from './outbox-tail.js'

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
  tail.add([ev(5)])
  assert.equal(tail.range('e1', 3, 5, 100), undefined, 'version 4 is missing')
  tail.add([ev(4)])
  assert.deepEqual(versions(tail.range('e1', 3, 5, 100)), [4, 5])
  assert.deepEqual(tail.range('e1', 5, 5, 100), [], 'nothing after the newest')
  // Another epoch (a swapped or restored database): nothing held counts any more.
  assert.equal(tail.range('e2', 0, 5, 100), undefined)
  assert.equal(tail.size, 0)
  tail.add([ev(1)], 'e2')
  assert.deepEqual(versions(tail.range('e2', 0, 1, 100)), [1])
})

test('a commit that reuses a version (a database restored in place) replaces the event', () => {
  const tail = new OutboxTail()
  tail.add([ev(1), ev(2)], 'e1')
  tail.add([{ ...ev(2), id: 'other' }])
  assert.equal(tail.range('e1', 1, 2, 10)?.[0]?.id, 'other')
})

test('the oldest versions are dropped beyond the size kept', () => {
  const tail = new OutboxTail(3)
  tail.add([ev(1), ev(2), ev(3), ev(4), ev(5)], 'e1')
  assert.equal(tail.size, 3)
  assert.equal(tail.range('e1', 0, 5, 10), undefined, 'versions 1 and 2 were dropped')
  assert.deepEqual(versions(tail.range('e1', 2, 5, 10)), [3, 4, 5])
})

test('FreshRead: requests during a read share the next read, never the one already running', async () => {
  let reads = 0
  const gates: Array<(n: number) => void> = []
  const fresh = new FreshRead(
    () =>
      new Promise<number>((resolve) => {
        reads++
        gates.push(resolve)
      })
  )
  const first = fresh.get()
  const second = fresh.get()
  const third = fresh.get()
  assert.equal(reads, 1, 'the later requests wait for the running read to end')
  gates[0]!(1)
  assert.equal(await first, 1)
  await new Promise((r) => setImmediate(r))
  assert.equal(reads, 2, 'one more read for both waiting requests')
  gates[1]!(2)
  assert.equal(await second, 2)
  assert.equal(await third, 2)
  // A failed read fails its own requests only.
  const failing = new FreshRead(() => Promise.reject(new Error('down')))
  await assert.rejects(failing.get(), /down/)
  await assert.rejects(failing.get(), /down/)
})
