import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FreshRead } from './fresh-read.js'

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
