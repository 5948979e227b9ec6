// `least-connections`: weighted least-connections, after
// kong/runloop/balancer/least_connections.lua.
// A peer scores (in-flight + 1) / weight and the lowest score wins; the +1 makes the heavier peer
// win when all are idle, and keeps weight meaningful at low load. In-flight counts go up on pick
// and down when the proxy releases the handle after the whole response (streams included), so a
// peer holding many long LLM streams gets fewer new ones. Unlike Kong, counts are per process
// (not per nginx worker) and weight-0 peers are never picked.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { isUsable } from './algorithm.js'
import type { Peer } from './peer.js'

interface PeerState {
  readonly peer: Peer
  /** Requests picked and not yet released. */
  active: number
}

/** Weighted least-connections with random tie-breaking; ignores the hash value. */
export class LeastConnections implements Algorithm {
  readonly name = 'least-connections'
  readonly #random: () => number
  #states: PeerState[] = []
  #byPeer = new Map<Peer, PeerState>()

  constructor(options: Pick<AlgorithmOptions, 'random'>) {
    this.#random = options.random
  }

  rebuild(peers: readonly Peer[]): void {
    const previous = this.#byPeer
    this.#states = peers.map((peer) => previous.get(peer) ?? { peer, active: 0 })
    this.#byPeer = new Map(this.#states.map((s) => [s.peer, s]))
  }

  pick(_hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined {
    let best: PeerState | undefined
    let ties = 0
    for (const state of this.#states) {
      if (!isUsable(state.peer, tried)) continue
      if (best === undefined) {
        best = state
        ties = 1
        continue
      }
      // Compare (a+1)/wa with (b+1)/wb by cross-multiplying: exact for integer weights.
      const lhs = (state.active + 1) * best.peer.effective
      const rhs = (best.active + 1) * state.peer.effective
      if (lhs < rhs) {
        best = state
        ties = 1
      } else if (lhs === rhs) {
        // Reservoir sampling: each of the k tied peers ends up chosen with probability 1/k, so
        // idle peers share evenly and nodes do not all favour the first peer in the list.
        ties += 1
        if (this.#random() * ties < 1) best = state
      }
    }
    if (best === undefined) return undefined
    best.active += 1
    return best.peer
  }

  release(peer: Peer): void {
    const state = this.#byPeer.get(peer)
    // A peer removed meanwhile has no state; never go below zero on a stray release.
    if (state !== undefined && state.active > 0) state.active -= 1
  }

  /** In-flight requests counted for a peer (0 when unknown); for snapshots and tests. */
  active(peer: Peer): number {
    return this.#byPeer.get(peer)?.active ?? 0
  }
}
