// The per-request handle a pick returns, after the handle (`failedAddresses`, `release`) of
// kong/runloop/balancer/least_connections.lua. One handle follows a request through all its
// attempts: it remembers every peer tried, so a retry never lands on one of them (Kong's
// round-robin and consistent-hashing retries can), and it ends each attempt exactly once, so
// in-flight counts cannot drift however often the proxy calls `release()`.

import type { Algorithm } from './algorithm.js'
import type { Peer } from './peer.js'

/** What the proxy holds for one request. Pass it back to `Balancer.pick` to retry. */
export interface Handle {
  /** Peer of the current attempt. */
  readonly peer: Peer | undefined
  /** Ids of every peer this request has been sent to, current one included. */
  readonly tried: ReadonlySet<string>
  /** Number of attempts so far (1 after the first successful pick). */
  readonly attempts: number
  /**
   * Ends the current attempt: call once the response is complete (after the last streamed byte),
   * failed or was abandoned. Idempotent; a retry through `pick` ends the previous attempt itself.
   */
  release(): void
  /**
   * Reports the current attempt's time to first byte in ms (when response headers arrive).
   * Feeds the latency algorithm; a no-op for the others. Only the first report per attempt counts;
   * negative or non-finite values are ignored.
   */
  reportTtfb(ms: number): void
}

/** The balancer's implementation of {@link Handle}; `begin` is for the balancer only. */
export class PickHandle implements Handle {
  peer: Peer | undefined = undefined
  readonly tried = new Set<string>()
  attempts = 0
  #algorithm: Algorithm | undefined = undefined
  #released = true
  #reported = true

  /** Starts an attempt on `peer`, picked (and counted) by `algorithm`; ends any previous one. */
  begin(peer: Peer, algorithm: Algorithm): void {
    this.release()
    this.peer = peer
    // Kept per attempt: if the upstream switches algorithm meanwhile, the release still reaches
    // the instance that counted the pick.
    this.#algorithm = algorithm
    this.tried.add(peer.id)
    this.attempts += 1
    this.#released = false
    this.#reported = false
  }

  release(): void {
    if (this.#released) return
    this.#released = true
    if (this.peer !== undefined) this.#algorithm?.release?.(this.peer)
  }

  reportTtfb(ms: number): void {
    if (this.#reported || this.peer === undefined || !Number.isFinite(ms) || ms < 0) return
    this.#reported = true
    this.#algorithm?.reportTtfb?.(this.peer, ms)
  }
}
