// Kong's counter rules as a table: outcome sequences, thresholds, and the state after each.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyOutcome, INITIAL_STATE, manualState, type CounterState, type Outcome, type Thresholds } from './counters.js'

const T: Thresholds = { successes: 2, httpFailures: 3, tcpFailures: 2, timeouts: 1 }

function run(outcomes: Outcome[], t: Thresholds = T, from: CounterState = INITIAL_STATE): CounterState {
  return outcomes.reduce((s, o) => applyOutcome(s, o, t), from)
}

const cases: { name: string; outcomes: Outcome[]; t?: Thresholds; expect: Partial<CounterState> }[] = [
  { name: 'starts healthy', outcomes: [], expect: { status: 'healthy' } },
  { name: 'http failures below threshold keep healthy', outcomes: ['http_failure', 'http_failure'], expect: { status: 'healthy', httpFailures: 2 } },
  { name: 'http threshold reached flips and zeroes', outcomes: ['http_failure', 'http_failure', 'http_failure'], expect: { status: 'unhealthy', httpFailures: 0 } },
  { name: 'a success clears failures (mostly healthy → healthy)', outcomes: ['http_failure', 'http_failure', 'success', 'http_failure'], expect: { status: 'healthy', httpFailures: 1 } },
  { name: 'kinds count separately', outcomes: ['tcp_failure', 'http_failure', 'http_failure'], expect: { status: 'healthy', tcpFailures: 1, httpFailures: 2 } },
  { name: 'tcp threshold of 2', outcomes: ['tcp_failure', 'http_failure', 'tcp_failure'], expect: { status: 'unhealthy' } },
  { name: 'one timeout is enough with threshold 1', outcomes: ['timeout'], expect: { status: 'unhealthy' } },
  { name: 'successes recover an unhealthy target', outcomes: ['timeout', 'success', 'success'], expect: { status: 'healthy', successes: 0 } },
  { name: 'a failure resets the success count while unhealthy', outcomes: ['timeout', 'success', 'http_failure', 'success'], expect: { status: 'unhealthy', successes: 1 } },
  { name: 'failures are not counted while fully unhealthy', outcomes: ['timeout', 'http_failure', 'http_failure', 'http_failure'], expect: { status: 'unhealthy', httpFailures: 0 } },
  {
    name: 'success threshold 0 disables counting and the reset',
    outcomes: ['http_failure', 'success', 'http_failure', 'success', 'http_failure'],
    t: { ...T, successes: 0 },
    expect: { status: 'unhealthy' },
  },
  { name: 'failure threshold 0 disables that kind', outcomes: ['http_failure', 'http_failure', 'http_failure', 'http_failure'], t: { ...T, httpFailures: 0 }, expect: { status: 'healthy', httpFailures: 0 } },
]

for (const c of cases) {
  test(`counters: ${c.name}`, () => {
    const s = run(c.outcomes, c.t)
    for (const [k, v] of Object.entries(c.expect)) assert.equal(s[k as keyof CounterState], v, k)
  })
}

test('a no-op outcome returns the same object; a manual set zeroes counters', () => {
  assert.equal(applyOutcome(INITIAL_STATE, 'success', T), INITIAL_STATE)
  assert.deepEqual(manualState('unhealthy'), { status: 'unhealthy', successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 })
})
