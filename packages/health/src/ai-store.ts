// Where AI-aware balancing keeps what the cluster must agree on, beside health: cooldowns
// (a target is out of rotation until T, for a reason), the provider windows last reported
// (share left until T) and per-target budget counters per minute window. One interface, two
// implementations (memory for one process, Redis for a cluster) held to one case suite. A
// write rings a doorbell naming only the upstream; listeners read the state back from the
// store, so a forged message can make a node re-read, never change what it believes.

import type { BudgetCounts, BudgetLimits } from '@switchyard/ai'

export interface StoredCooldown {
  /** Epoch ms the cooldown ends. */
  until: number
  reason: string
}

export interface StoredRemaining {
  /** Share of the provider window left, 0..1. */
  share: number
  /** Epoch ms the window resets. */
  until: number
  /** Raw remaining requests / tokens as the provider reported them, when it did. */
  requests?: number
  tokens?: number
}

export interface TargetAiState {
  cooldown?: StoredCooldown
  remaining?: StoredRemaining
}

export interface Reservation {
  ok: boolean
  /** Counts after the reservation (or as they stood when it was refused). */
  counts: BudgetCounts
}

export interface AiStateStore {
  /**
   * Atomically extends a target's cooldown to `until` (a shorter one never replaces a longer
   * one) and rings the doorbell. Returns the cooldown in force.
   */
  coolDown(upstreamId: string, target: string, until: number, reason: string): Promise<StoredCooldown>
  /** Records the provider window last reported for a target and rings the doorbell. */
  reportRemaining(upstreamId: string, target: string, remaining: StoredRemaining): Promise<void>
  /** Every target state of an upstream still in force at `nowMs`. */
  states(upstreamId: string, nowMs: number): Promise<Map<string, TargetAiState>>
  /**
   * Takes one request and `estimate` tokens from a target's budget in the window starting at
   * `window` (epoch ms), if `admits` allows it; otherwise counts nothing.
   */
  reserve(upstreamId: string, target: string, window: number, limits: BudgetLimits, estimate: number): Promise<Reservation>
  /**
   * Settles a reservation: `tokens` used are counted and the estimate released; `refund`
   * gives the request back too (it never reached the provider).
   */
  settle(upstreamId: string, target: string, window: number, estimate: number, tokens: number, refund: boolean): Promise<void>
  /** Budget counters of an upstream's targets in one window (targets never counted are absent). */
  usage(upstreamId: string, window: number): Promise<Map<string, BudgetCounts>>
  /** Forgets an upstream (deleted) or one of its targets. */
  clear(upstreamId: string, target?: string): Promise<void>
  /** Doorbell: the state of this upstream changed somewhere in the cluster. */
  subscribe(listener: (upstreamId: string) => void): () => void
  /** Called whenever the doorbell line is (re)established: rings may have been missed. */
  onResync(listener: () => void): () => void
  close(): Promise<void>
}
