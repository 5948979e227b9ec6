// `lowest-usage` (extension): the peer that has used the least per unit of effective weight
// gets the request. Usage comes from outside (the data plane reports tokens used in the current
// minute across the cluster, scaled to the target's tpm when it has one); the balancer does not
// know what a token is. Equal scores — every peer idle at the start of a window — are shared by
// weighted reservoir sampling (in proportion to effective weight), so nodes do not all send the
// first request of a minute to the same peer, and with no usage known traffic follows weight.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { isUsable } from './algorithm.js'
import type { Peer } from './peer.js'

export class LowestUsage implements Algorithm {
  readonly name = 'lowest-usage'
  readonly #random: () => number
  #peers: readonly Peer[] = []

  constructor(options: Pick<AlgorithmOptions, 'random'>) {
    this.#random = options.random
  }

  rebuild(peers: readonly Peer[]): void {
    this.#peers = peers
  }

  pick(_hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined {
    let best: Peer | undefined
    let tiedWeight = 0
    for (const peer of this.#peers) {
      if (!isUsable(peer, tried)) continue
      if (best === undefined) {
        best = peer
        tiedWeight = peer.effective
        continue
      }
      // usage/effective compared by cross-multiplying, as least-connections does.
      const lhs = peer.usage * best.effective
      const rhs = best.usage * peer.effective
      if (lhs < rhs) {
        best = peer
        tiedWeight = peer.effective
      } else if (lhs === rhs) {
        tiedWeight += peer.effective
        if (this.#random() * tiedWeight < peer.effective) best = peer
      }
    }
    return best
  }
}
