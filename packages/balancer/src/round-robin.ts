// `round-robin`: smooth weighted round-robin as nginx does it (ngx_http_upstream_round_robin.c).
// Kong shuffles a wheel of weight/gcd slots (kong/runloop/balancer/round_robin.lua), which keeps
// exact ratios but can send bursts to one target and differs per worker. Here every pick adds
// each usable peer's weight to its running "current" value, takes the peer with the largest
// current and subtracts the total weight from it: heavy peers win often but never in long runs
// (weights 5,1,1 give a a b a c a a), and the result is deterministic, so tests assert it.

import type { Algorithm } from './algorithm.js'
import { isUsable } from './algorithm.js'
import type { Peer } from './peer.js'

interface PeerState {
  readonly peer: Peer
  /** nginx's current_weight: grows by weight each pick, drops by the total when chosen. */
  current: number
}

/** Smooth weighted round-robin; ignores the hash value. */
export class RoundRobin implements Algorithm {
  readonly name = 'round-robin'
  #states: PeerState[] = []

  rebuild(peers: readonly Peer[]): void {
    // Keep running values of surviving peers so a change elsewhere does not restart the cycle.
    const previous = new Map(this.#states.map((s) => [s.peer, s]))
    this.#states = peers.map((peer) => previous.get(peer) ?? { peer, current: 0 })
  }

  pick(_hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined {
    let total = 0
    let best: PeerState | undefined
    for (const state of this.#states) {
      // Unusable peers sit out without accumulating, so they do not burst when they come back.
      if (!isUsable(state.peer, tried)) continue
      // The effective weight: a de-weighted or ramping peer gets its reduced share at once.
      state.current += state.peer.effective
      total += state.peer.effective
      if (best === undefined || state.current > best.current) best = state
    }
    if (best === undefined) return undefined
    best.current -= total
    return best.peer
  }
}
