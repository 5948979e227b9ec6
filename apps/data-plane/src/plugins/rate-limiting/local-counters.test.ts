// Node-local counters: counting, expiry at the given instant, sweeping of old windows.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LocalCounters } from './local-counters.js'

test('counts until the expiry instant, then starts over', () => {
  const c = new LocalCounters()
  assert.equal(c.get('k', 1000), 0)
  assert.equal(c.increment('k', 1000, 2000), 1)
  assert.equal(c.increment('k', 1500, 9999), 2, 'a later expiry does not extend the counter')
  assert.equal(c.get('k', 1999), 2)
  assert.equal(c.get('k', 2000), 0, 'expired at its instant')
  assert.equal(c.increment('k', 2000, 3000), 1)
})

test('expired counters are swept', () => {
  const c = new LocalCounters()
  for (let i = 0; i < 100; i++) c.increment(`old:${i}`, 0, 1000)
  assert.equal(c.size, 100)
  c.sweep(1000)
  assert.equal(c.size, 0)
  // Increments sweep on their own every few seconds.
  for (let i = 0; i < 10; i++) c.increment(`w1:${i}`, 1_000, 2_000)
  c.increment('w2', 20_000, 21_000)
  assert.equal(c.size, 1)
})

test('past the cap, expired counters go first, then the oldest', () => {
  const c = new LocalCounters(3)
  c.increment('a', 0, 100)
  c.increment('b', 0, 5000)
  c.increment('c', 0, 5000)
  c.increment('d', 200, 5000)
  assert.equal(c.size, 3)
  assert.equal(c.get('a', 200), 0, 'the expired one made room')
  assert.equal(c.get('b', 200), 1)
  c.increment('e', 300, 5000)
  assert.equal(c.size, 3)
  assert.equal(c.get('b', 300), 0, 'the oldest was dropped')
  assert.deepEqual(['c', 'd', 'e'].map((k) => c.get(k, 300)), [1, 1, 1])
  assert.equal(c.increment('c', 300, 5000), 2, 'existing counters still count')
})
