import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isTransient, MIN_RAMP_SHARE, MIN_REMAINING_SHARE, rampShare, shareAt, usageInWeightUnits } from './share.js'

test('slow-start ramp is linear with a floor', () => {
  assert.equal(rampShare(0, 10_000), MIN_RAMP_SHARE)
  assert.equal(rampShare(2500, 10_000), 0.25)
  assert.equal(rampShare(5000, 10_000), 0.5)
  assert.equal(rampShare(10_000, 10_000), 1)
  assert.equal(rampShare(99_999, 10_000), 1)
  assert.equal(rampShare(0, 0), 1)
})

test('effective share', () => {
  const now = 1_000_000
  const cases: [string, Parameters<typeof shareAt>[0], number, number][] = [
    ['nothing known', {}, 0, 1],
    ['cooling', { coolUntil: now + 1 }, 0, 0],
    ['cooldown over', { coolUntil: now }, 0, 1],
    ['half left', { remaining: { share: 0.5, until: now + 1000 } }, 0, 0.5],
    ['window reset', { remaining: { share: 0.5, until: now } }, 0, 1],
    ['almost empty floors', { remaining: { share: 0, until: now + 1000 } }, 0, MIN_REMAINING_SHARE],
    ['ramp halfway', { rampFrom: now - 5000 }, 10_000, 0.5],
    ['ramp and de-weighting multiply', { rampFrom: now - 5000, remaining: { share: 0.5, until: now + 1 } }, 10_000, 0.25],
    ['ramp without slow start', { rampFrom: now }, 0, 1],
  ]
  for (const [name, state, slow, expected] of cases) assert.equal(shareAt(state, now, slow), expected, name)
  assert.equal(isTransient({}, now, 0), false)
  assert.equal(isTransient({ coolUntil: now + 1 }, now, 0), true)
  assert.equal(isTransient({ rampFrom: now - 10 }, now, 100), true)
  assert.equal(isTransient({ rampFrom: now - 100 }, now, 100), false)
})

test('usage in weight units', () => {
  assert.equal(usageInWeightUnits(500, 100, 1000), 50)
  assert.equal(usageInWeightUnits(500, 100, null), 500)
})
