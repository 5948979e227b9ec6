// The contract every balancing algorithm implements, after the algorithm modules of
// kong/runloop/balancer/ (`afterHostUpdate` to rebuild, `getPeer` to pick, `afterBalance` for
// feedback). The balancer owns weights, health and tiers; an algorithm only reads them.

import type { Peer } from './peer.js'

/** What an algorithm may depend on besides its peers: all I/O-free, injected by the caller. */
export interface AlgorithmOptions {
  /** Monotonic clock in milliseconds (e.g. `performance.now`). */
  readonly now: () => number
  /** Uniform random number in [0, 1). */
  readonly random: () => number
  /** Upstream `slots` (10..65536): resolution of the consistent-hashing ring. */
  readonly slots: number
}

/**
 * One balancing algorithm over one tier of peers.
 *
 * Peer objects are stable: the balancer mutates `weight`/`available` in place and passes the same
 * object again on rebuild, so per-peer state kept in a `Map<Peer, …>` survives updates of other
 * targets, and state of a removed peer is dropped with it.
 */
export interface Algorithm {
  /** Kong's algorithm string. */
  readonly name: string
  /**
   * Adopt the current peer list (after a target was added, removed, re-weighted or the upstream
   * changed). Keeps the state of peers still present. Health flips do not trigger a rebuild:
   * `available` is read at pick time.
   */
  rebuild(peers: readonly Peer[]): void
  /**
   * Choose a usable peer (see {@link isUsable}) not in `tried`, or undefined when none is left.
   * `hashValue` is the request's hash input; only consistent hashing reads it.
   * Algorithms that count in-flight requests count this pick as started.
   */
  pick(hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined
  /** The request started by `pick` on this peer has ended (called at most once per pick). */
  release?(peer: Peer): void
  /** Time to first byte of a request sent to this peer, in milliseconds. */
  reportTtfb?(peer: Peer, ms: number): void
}

/** Creates an algorithm instance; the registry maps Kong's strings to these. */
export type AlgorithmFactory = (options: AlgorithmOptions) => Algorithm

/** Shared empty "tried" set for first attempts, so a first pick allocates nothing for it. */
export const NOTHING_TRIED: ReadonlySet<string> = new Set<string>()

/**
 * A peer may be picked iff it is healthy, has effective weight (weight 0 means "never", unlike
 * Kong's least-connections and latency which can still return weight-0 addresses; share 0 is a
 * caller's cooldown) and this request has not tried it yet (unlike Kong's round-robin and
 * consistent-hashing retries).
 */
export function isUsable(peer: Peer, tried: ReadonlySet<string>): boolean {
  return peer.available && peer.effective > 0 && !tried.has(peer.id)
}
