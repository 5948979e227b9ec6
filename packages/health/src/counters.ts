// The health counter state machine of lua-resty-healthcheck, as Kong uses it (reference
// balancing-and-health.md §2.3). Pure: one target's state and one outcome in, the new state out.
// - A success resets the failure counters; a failure resets the success counter.
// - Reaching a failure threshold makes the target unhealthy, reaching the success threshold
//   healthy; each flip zeroes every counter.
// - Successes are not counted while fully healthy, failures not while fully unhealthy.
// - A threshold of 0 disables that counter, including its reset side effect.
// The Redis store's Lua script implements the same rules; the shared store suite holds both to it.

export type HealthStatus = 'healthy' | 'unhealthy'
export type Outcome = 'success' | 'http_failure' | 'tcp_failure' | 'timeout'

export interface CounterState {
  status: HealthStatus
  successes: number
  httpFailures: number
  tcpFailures: number
  timeouts: number
}

/** Thresholds of one check kind (active or passive); 0 disables a counter. */
export interface Thresholds {
  successes: number
  httpFailures: number
  tcpFailures: number
  timeouts: number
}

export const INITIAL_STATE: Readonly<CounterState> = Object.freeze({
  status: 'healthy',
  successes: 0,
  httpFailures: 0,
  tcpFailures: 0,
  timeouts: 0,
})

const FAILURE_FIELD = {
  http_failure: ['httpFailures', 'httpFailures'],
  tcp_failure: ['tcpFailures', 'tcpFailures'],
  timeout: ['timeouts', 'timeouts'],
} as const

function zeroed(status: HealthStatus): CounterState {
  return { status, successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 }
}

/** Applies one outcome; returns the new state (a new object when anything changed). */
export function applyOutcome(state: CounterState, outcome: Outcome, t: Thresholds): CounterState {
  if (outcome === 'success') {
    if (t.successes === 0) return state
    const failures = state.httpFailures + state.tcpFailures + state.timeouts
    if (state.status === 'healthy') {
      // Fully healthy: nothing to count. Mostly healthy: the success clears the failures.
      return failures === 0 ? state : zeroed('healthy')
    }
    const successes = state.successes + 1
    if (successes >= t.successes) return zeroed('healthy')
    return { status: 'unhealthy', successes, httpFailures: 0, tcpFailures: 0, timeouts: 0 }
  }
  const [field, limitField] = FAILURE_FIELD[outcome]
  const limit = t[limitField]
  if (limit === 0) return state
  if (state.status === 'unhealthy' && state.successes === 0) return state
  const next: CounterState = { ...state, successes: 0, [field]: state[field] + 1 }
  if (state.status === 'healthy' && next[field] >= limit) return zeroed('unhealthy')
  return next
}

/** A manual (Admin API) override: the status, every counter zeroed. */
export function manualState(status: HealthStatus): CounterState {
  return zeroed(status)
}
