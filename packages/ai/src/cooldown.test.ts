import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decideCooldown, isFailoverStatus, wantsErrorBody } from './cooldown.js'
import { DEFAULT_AI_SETTINGS, aiSettingsOf } from './settings.js'
import type { ProviderSignals } from './signals.js'

const S = DEFAULT_AI_SETTINGS
const OFF = { ...S, signals: false }

test('cooldown decisions', () => {
  const wait2: ProviderSignals = { wait: { ms: 2000, source: 'retry-after' } }
  const depleted: ProviderSignals = { depleted: { ms: 700, source: 'x-ratelimit-reset' } }
  const cases: [string, number, ProviderSignals, typeof S, ReturnType<typeof decideCooldown>][] = [
    ['429 with Retry-After', 429, wait2, S, { ms: 2000, reason: 'rate_limited', source: 'retry-after' }],
    ['429 with a used-up window', 429, depleted, S, { ms: 700, reason: 'rate_limited', source: 'x-ratelimit-reset' }],
    ['429 without a hint: default', 429, {}, S, { ms: 5000, reason: 'rate_limited', source: 'default' }],
    ['429 hint capped', 429, { wait: { ms: 3_600_000, source: 'retry-after' } }, S, { ms: 300_000, reason: 'rate_limited', source: 'retry-after' }],
    ['429 Retry-After: 0 means no cooldown', 429, { wait: { ms: 0, source: 'retry-after' } }, S, undefined],
    ['503 with a hint', 503, wait2, S, { ms: 2000, reason: 'overloaded', source: 'retry-after' }],
    ['503 without a hint: none', 503, {}, S, undefined],
    ['529 without a hint: default', 529, {}, S, { ms: 5000, reason: 'overloaded', source: 'default' }],
    ['200 with a used-up window', 200, depleted, S, { ms: 700, reason: 'depleted', source: 'x-ratelimit-reset' }],
    ['200 with remaining only', 200, { remaining: { share: 0.5, resetMs: 100 } }, S, undefined],
    ['500: none', 500, {}, S, undefined],
    ['signals off', 429, wait2, OFF, undefined],
    ['custom default', 429, {}, { ...S, default_cooldown: 0.5 }, { ms: 500, reason: 'rate_limited', source: 'default' }],
    ['zero default: none', 429, {}, { ...S, default_cooldown: 0 }, undefined],
  ]
  for (const [name, status, signals, settings, expected] of cases) {
    assert.deepEqual(decideCooldown(status, signals, settings), expected, name)
  }
})

test('failover statuses', () => {
  assert.equal(isFailoverStatus(429, {}, S), true)
  assert.equal(isFailoverStatus(529, {}, S), true)
  assert.equal(isFailoverStatus(503, {}, S), false)
  assert.equal(isFailoverStatus(503, { wait: { ms: 1, source: 'retry-after' } }, S), true)
  assert.equal(isFailoverStatus(429, {}, OFF), false)
  assert.equal(isFailoverStatus(200, {}, S), false)
  assert.equal(wantsErrorBody(429, S), true)
  assert.equal(wantsErrorBody(200, S), false)
  assert.equal(wantsErrorBody(429, OFF), false)
})

test('settings from a stored record, defaults for anything missing or mistyped', () => {
  assert.deepEqual(aiSettingsOf(undefined), S)
  assert.deepEqual(aiSettingsOf(null), S)
  assert.deepEqual(aiSettingsOf({ signals: false, default_cooldown: 1, max_cooldown: 2, token_reservation: 3 }), {
    signals: false,
    default_cooldown: 1,
    max_cooldown: 2,
    token_reservation: 3,
  })
  assert.deepEqual(aiSettingsOf({ signals: 'no', default_cooldown: -1, max_cooldown: 'x' }), S)
})
