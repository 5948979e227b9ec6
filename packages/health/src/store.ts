// Where health state lives: one interface, two implementations (in-memory for a single
// process, Redis for a cluster), held to the same behaviour by store.case.test.ts.

import type { CounterState, HealthStatus, Outcome, Thresholds } from './counters.js'

/** A target's state changed: every node applies it to its balancer. */
export interface HealthChange {
  upstreamId: string
  /** `host:port` as stored on the target. */
  target: string
  status: HealthStatus
}

export interface ReportResult {
  status: HealthStatus
  changed: boolean
}

export interface HealthStore {
  /** Applies one outcome atomically (cluster-wide for Redis); publishes a flip. */
  report(upstreamId: string, target: string, outcome: Outcome, thresholds: Thresholds): Promise<ReportResult>
  /** Manual override: sets the status, zeroes counters, publishes. */
  set(upstreamId: string, target: string, status: HealthStatus): Promise<void>
  /** Every known target state of one upstream (targets never reported are absent = healthy). */
  states(upstreamId: string): Promise<Map<string, CounterState>>
  /** Forgets one upstream (deleted) or one of its targets. */
  clear(upstreamId: string, target?: string): Promise<void>
  /** Registers a listener for state flips; returns an unsubscribe function. */
  subscribe(listener: (change: HealthChange) => void): () => void
  close(): Promise<void>
}
