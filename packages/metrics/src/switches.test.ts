import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALL_SWITCHES_OFF, scrapeGate, switchesOf } from './switches.js'

test('switches are on only when the config says true', () => {
  assert.deepEqual(switchesOf(undefined), ALL_SWITCHES_OFF)
  assert.deepEqual(switchesOf({ latency_metrics: 'true', status_code_metrics: 1 }), ALL_SWITCHES_OFF)
  assert.equal(switchesOf({ latency_metrics: true }).latency_metrics, true)
})

test('scrape gate: enabled with any instance; target health when any instance asks', () => {
  const cases = [
    { configs: [], want: { enabled: false, upstreamHealth: false } },
    { configs: [{}], want: { enabled: true, upstreamHealth: false } },
    { configs: [{}, { upstream_health_metrics: true }], want: { enabled: true, upstreamHealth: true } },
  ]
  for (const c of cases) assert.deepEqual(scrapeGate(c.configs), c.want)
})
