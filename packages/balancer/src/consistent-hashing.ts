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
//
// A rebuild after a target change hashes only that target's points: each address's point hashes
// and its sorted point list are cached, and the ring is a merge of the per-address sorted lists
// (a weight change that moves the mean weight re-sorts the others' cached hashes, still without
// hashing). The ring is identical to one built from scratch.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { isUsable } from './algorithm.js'
import { murmur3 } from './murmur3.js'
import type { Peer } from './peer.js'

/** Ring points of a peer at the mean weight (Kong's SERVER_POINTS). */
export const POINTS_PER_TARGET = 160

/** 2^32: a point's sort key is position × 2^32 + hash, exact in a double (position < 2^16). */
const HASH_RANGE = 2 ** 32

/**
 * Points of one address, kept across rebuilds: a point's hash depends only on the address and its
 * index, and its position only on the hash and `slots` (fixed per instance), so a change to one
 * target never rehashes the others.
 */
interface AddressPoints {
  /** murmur3(`${address} ${i}`) for i < hashes.length, grown on demand. */
  readonly hashes: number[]
  /** How many points `keys` holds. */
  count: number
  /** Sort keys of the first `count` points, ascending. */
  keys: Float64Array
}

/** Ketama-style consistent hashing over the request's hash value. */
export class ConsistentHashing implements Algorithm {
  readonly name = 'consistent-hashing'
  readonly #slots: number
  /** Point positions, ascending (equal positions are collisions, winner first). */
  #positions = new Uint32Array(0)
  /** Owner of the point at the same index in #positions. */
  #owners: Peer[] = []
  /** Cached points by address, for the addresses of the peers last passed to rebuild. */
  #cache = new Map<string, AddressPoints>()
  #hashed = 0

  constructor(options: Pick<AlgorithmOptions, 'slots'>) {
    this.#slots = options.slots
  }

  /**
   * Builds the ring from cached per-address point lists: only an address that is new, or whose
   * point count changed, is hashed or sorted again, and the ring is a merge of sorted lists.
   * The result is the same as sorting every point afresh.
   */
  rebuild(peers: readonly Peer[]): void {
    // Forget addresses that are gone, so the cache follows the configuration.
    const present = new Set<string>()
    for (const peer of peers) present.add(peer.target)
    for (const address of this.#cache.keys()) {
      if (!present.has(address)) this.#cache.delete(address)
    }
    // Weight-0 peers get no points, exactly as if they were not configured.
    const weighted = peers
      .filter((p) => p.weight > 0)
      .sort((a, b) => compareText(a.target, b.target) || compareText(a.id, b.id))
    if (weighted.length === 0) {
      this.#positions = new Uint32Array(0)
      this.#owners = []
      return
    }
    let weightSum = 0
    for (const peer of weighted) weightSum += peer.weight
    const meanWeight = weightSum / weighted.length
    const lists = weighted.map((peer) =>
      this.#sortedKeys(
        peer.target,
        Math.max(1, Math.round((POINTS_PER_TARGET * peer.weight) / meanWeight)),
      ),
    )
    const { keys, order } = mergeSorted(lists)
    const positions = new Uint32Array(keys.length)
    const owners = new Array<Peer>(keys.length)
    for (let i = 0; i < keys.length; i++) {
      positions[i] = Math.floor(keys[i]! / HASH_RANGE)
      owners[i] = weighted[order[i]!]!
    }
    this.#positions = positions
    this.#owners = owners
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

  /** How many points this instance has hashed since it was created; for tests and benchmarks. */
  get hashedPoints(): number {
    return this.#hashed
  }

  // Sort keys of an address's first `count` points, ascending, from the cache when it has them.
  // Sorting by position, then by full hash, settles collisions the same way on every node,
  // independently of which other peers exist, without favouring peers that sort first (which
  // matters on small rings); if the winner is unusable the walk reaches the point behind it,
  // exactly where the keys would go had the winner's peer been removed.
  #sortedKeys(address: string, count: number): Float64Array {
    let entry = this.#cache.get(address)
    if (entry === undefined) {
      entry = { hashes: [], count: -1, keys: new Float64Array(0) }
      this.#cache.set(address, entry)
    }
    if (entry.count === count) return entry.keys
    const { hashes } = entry
    this.#hashed += Math.max(0, count - hashes.length)
    for (let i = hashes.length; i < count; i++) hashes.push(murmur3(`${address} ${i}`))
    const slots = this.#slots
    const keys = new Float64Array(count)
    for (let i = 0; i < count; i++) keys[i] = (hashes[i]! % slots) * HASH_RANGE + hashes[i]!
    keys.sort()
    entry.count = count
    entry.keys = keys
    return keys
  }
}

/**
 * Merges ascending key lists into one, with the index of each key's list. Equal keys keep list
 * order (lower index first), so the result equals a sort by (key, list index). Adjacent lists are
 * merged pairwise, taking the left one on ties, in ceil(log2 lists) linear passes.
 */
function mergeSorted(lists: readonly Float64Array[]): { keys: Float64Array; order: Uint32Array } {
  let total = 0
  for (const list of lists) total += list.length
  let keys = new Float64Array(total)
  let order = new Uint32Array(total)
  // Segment boundaries: segment s spans [bounds[s], bounds[s + 1]).
  let bounds: number[] = [0]
  let k = 0
  lists.forEach((list, o) => {
    keys.set(list, k)
    order.fill(o, k, k + list.length)
    k += list.length
    bounds.push(k)
  })
  let nextKeys = new Float64Array(total)
  let nextOrder = new Uint32Array(total)
  while (bounds.length > 2) {
    const merged: number[] = [0]
    for (let s = 0; s + 1 < bounds.length; s += 2) {
      const start = bounds[s]!
      const middle = bounds[s + 1]!
      const end = s + 2 < bounds.length ? bounds[s + 2]! : middle
      let a = start
      let b = middle
      let out = start
      while (a < middle && b < end) {
        if (keys[b]! < keys[a]!) {
          nextKeys[out] = keys[b]!
          nextOrder[out++] = order[b++]!
        } else {
          nextKeys[out] = keys[a]!
          nextOrder[out++] = order[a++]!
        }
      }
      while (a < middle) {
        nextKeys[out] = keys[a]!
        nextOrder[out++] = order[a++]!
      }
      while (b < end) {
        nextKeys[out] = keys[b]!
        nextOrder[out++] = order[b++]!
      }
      merged.push(end)
    }
    ;[keys, nextKeys] = [nextKeys, keys]
    ;[order, nextOrder] = [nextOrder, order]
    bounds = merged
  }
  return { keys, order }
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
