import assert from 'node:assert/strict'
import { test } from 'node:test'
import { IdleSweep, type IdleMember } from './idle-sweep.js'

class Member implements IdleMember {
  idleTick = -1
  expired = 0
  expire(): void {
    this.expired++
  }
}

test('a member untouched for idleMs expires once, after whole periods without progress', () => {
  const sweep = new IdleSweep(400)
  assert.equal(sweep.periodMs, 100)
  const m = new Member()
  sweep.add(m)
  // Added during period 0: four whole periods must pass, so it survives ticks 1 to 4.
  for (let i = 0; i < 4; i++) sweep.sweep()
  assert.equal(m.expired, 0)
  sweep.sweep()
  assert.equal(m.expired, 1)
  assert.equal(sweep.size, 0)
  sweep.sweep()
  assert.equal(m.expired, 1)
})

test('a touch restarts the count; a deleted member never expires', () => {
  const sweep = new IdleSweep(400)
  const touched = new Member()
  const gone = new Member()
  sweep.add(touched)
  sweep.add(gone)
  sweep.delete(gone)
  for (let i = 0; i < 3; i++) sweep.sweep()
  sweep.touch(touched)
  for (let i = 0; i < 4; i++) sweep.sweep()
  assert.equal(touched.expired, 0)
  sweep.sweep()
  assert.equal(touched.expired, 1)
  assert.equal(gone.expired, 0)
})

test('the period is a quarter of idleMs, between 10 ms and 1 s', () => {
  assert.equal(new IdleSweep(20).periodMs, 10)
  assert.equal(new IdleSweep(60_000).periodMs, 1000)
  assert.equal(new IdleSweep(2000).periodMs, 500)
})

test('the timer outlives a member leaving until a tick finds nothing to watch', () => {
  const sweep = new IdleSweep(400)
  const m = new Member()
  assert.equal(sweep.running, false)
  sweep.add(m)
  sweep.delete(m)
  // The next request's member joins the running timer instead of a new one.
  assert.equal(sweep.running, true)
  sweep.add(m)
  sweep.delete(m)
  sweep.sweep()
  assert.equal(sweep.running, false)
})
