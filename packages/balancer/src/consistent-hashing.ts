// `consistent-hashing`: a ketama-style ring after kong/runloop/balancer/consistent_hashing.lua.
// Each peer puts points on a ring of `slots` positions, POINTS_PER_TARGET of them at the mean
// weight and proportionally more or fewer otherwise; a request's hash value maps to a position and
// goes to the owner of the next point clockwise. Peers are sorted by address before building and
// collisions are settled by hash, so every node builds the same ring from the same targets in any
// order. A point's position depends
// only on its peer's address and index, which is what keeps remapping small: adding a peer only
// steals keys for itself, removing one only moves that peer's keys.
//
// Unusable peers (unhealthy, or tried by this request) stay on the ring and are walked past, so a
// health flap does not reshuffle other keys and a retry goes where the key would go if the failed
// peer were gone. Kong retries the same slot instead, usually hitting the same failed peer.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { isUsable } from './algorithm.js'
import { murmur3 } from './murmur3.js'
import type { Peer } from './peer.js'

/** Ring points of a peer at the mean weight (Kong's SERVER_POINTS). */
export const POINTS_PER_TARGET = 160

/** Ketama-style consistent hashing over the request's hash value. */
export class ConsistentHashing implements Algorithm {
  readonly name = 'consistent-hashing'
  readonly #slots: number
  /** Point positions, ascending (equal positions are collisions, winner first). */
  #positions = new Uint32Array(0)
  /** Owner of the point at the same index in #positions. */
  #owners: Peer[] = []

  constructor(options: Pick<AlgorithmOptions, 'slots'>) {
    this.#slots = options.slots
  }

  rebuild(peers: readonly Peer[]): void {
    // Weight-0 peers get no points, exactly as if they were not configured.
    const weighted = peers
      .filter((p) => p.weight > 0)
      .sort((a, b) => compareText(a.target, b.target) || compareText(a.id, b.id))
    if (weighted.length === 0) {
      this.#positions = new Uint32Array(0)
      this.#owners = []
      return
    }
    const meanWeight = weighted.reduce((sum, p) => sum + p.weight, 0) / weighted.length
    const counts = weighted.map((p) =>
      Math.max(1, Math.round((POINTS_PER_TARGET * p.weight) / meanWeight)),
    )
    const total = counts.reduce((sum, c) => sum + c, 0)
    const hashes = new Uint32Array(total)
    const order = new Uint32Array(total)
    let k = 0
    weighted.forEach((peer, o) => {
      for (let i = 0; i < counts[o]!; i++, k++) {
        hashes[k] = murmur3(`${peer.target} ${i}`)
        order[k] = o
      }
    })
    // Sort points by position; on a collision the point with the lower full hash comes first and
    // owns the keys, the other stays behind it. That settles every collision the same way on every
    // node, independently of which other peers exist, without favouring peers that sort first
    // (which matters on small rings), and if the winner is unusable the walk reaches the point
    // behind it, exactly where the keys would go had the winner's peer been removed.
    const slots = this.#slots
    const sorted = Uint32Array.from({ length: total }, (_, i) => i).sort(
      (a, b) =>
        (hashes[a]! % slots) - (hashes[b]! % slots) ||
        hashes[a]! - hashes[b]! ||
        order[a]! - order[b]!,
    )
    this.#positions = sorted.map((point) => hashes[point]! % slots)
    this.#owners = Array.from(sorted, (point) => weighted[order[point]!]!)
  }

  /**
   * Owner of the key, walking clockwise past unusable peers. A missing hash value hashes as the
   * empty string, as Kong does for `hash_on = none`: every such request goes to one peer.
   */
  pick(hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined {
    const points = this.#positions.length
    if (points === 0) return undefined
    let index = lowerBound(this.#positions, murmur3(hashValue ?? '') % this.#slots)
    for (let step = 0; step < points; step++, index++) {
      if (index === points) index = 0
      const peer = this.#owners[index]!
      if (isUsable(peer, tried)) return peer
    }
    return undefined
  }

  /** The ring as (position, target) pairs in position order; for tests and debugging. */
  points(): Array<{ position: number; target: string }> {
    return this.#owners.map((peer, i) => ({ position: this.#positions[i]!, target: peer.target }))
  }
}

// Plain code-unit order: locale-independent, so every node sorts alike.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// First index whose position is >= target, or the length when none is.
function lowerBound(sorted: Uint32Array, target: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < target) lo = mid + 1
    else hi = mid
  }
  return lo
}
