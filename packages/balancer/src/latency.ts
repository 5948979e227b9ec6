// `latency`: lowest expected wait, after kong/runloop/balancer/latency.lua, adapted to LLM traffic.
// Kong keeps an EWMA of the full response time, which for a streamed completion measures the
// length of the answer, not the speed of the peer. We keep an EWMA of time to first byte, reported
// through the handle (`handle.reportTtfb(ms)`) as soon as response headers arrive, and score a peer
// by ewma × (in-flight + 1) / weight, so a fast peer that is already busy stops looking fast.
//
// Time enters in two places, both through the injected clock:
// - a sample's weight grows with the time since the previous one (1 − e^(−Δt/EWMA_DECAY_MS),
//   Kong's decay), so estimates follow fresh values at any request rate;
// - an estimate that gets no samples fades toward zero (IDLE_DECAY_MS), so a peer that once looked
//   slow is probed again after a while instead of being starved forever.
// New peers start at the best current estimate, so they are tried promptly but do not draw a
// burst the way a zero estimate would.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { isUsable } from './algorithm.js'
import type { Peer } from './peer.js'

/** Time constant for weighting a new sample against the running average (Kong: 10 s). */
export const EWMA_DECAY_MS = 10_000
/** Lowest weight of a sample, so bursts of samples within one clock tick still count. */
export const MIN_SAMPLE_WEIGHT = 0.05
/** Time constant with which an unrefreshed estimate fades toward zero, inviting a probe. */
export const IDLE_DECAY_MS = 10_000
/** Estimate for peers when nothing has been measured yet. */
export const INITIAL_TTFB_MS = 100
/** Floor of an estimate in scores, so a 0 ms estimate cannot cancel the in-flight term. */
export const MIN_ESTIMATE_MS = 1

interface PeerState {
  readonly peer: Peer
  active: number
  /** Running average of time to first byte, ms. */
  ewma: number
  /** When ewma was last set (seeded or sampled), clock ms. */
  updatedAt: number
  /** False while ewma is only a seed; the first sample replaces it outright. */
  measured: boolean
}

/** EWMA of time to first byte × in-flight, per weight; ignores the hash value. */
export class Latency implements Algorithm {
  readonly name = 'latency'
  readonly #now: () => number
  readonly #random: () => number
  #states: PeerState[] = []
  #byPeer = new Map<Peer, PeerState>()

  constructor(options: Pick<AlgorithmOptions, 'now' | 'random'>) {
    this.#now = options.now
    this.#random = options.random
  }

  rebuild(peers: readonly Peer[]): void {
    const now = this.#now()
    const previous = this.#byPeer
    const present = new Set(peers)
    let seed = Infinity
    for (const state of previous.values()) {
      if (!state.measured || !present.has(state.peer)) continue
      seed = Math.min(seed, this.#estimate(state, now))
    }
    if (seed === Infinity) seed = INITIAL_TTFB_MS
    this.#states = peers.map(
      (peer) =>
        previous.get(peer) ?? { peer, active: 0, ewma: seed, updatedAt: now, measured: false },
    )
    this.#byPeer = new Map(this.#states.map((s) => [s.peer, s]))
  }

  pick(_hashValue: string | undefined, tried: ReadonlySet<string>): Peer | undefined {
    const now = this.#now()
    let best: PeerState | undefined
    let bestScore = Infinity
    let ties = 0
    for (const state of this.#states) {
      if (!isUsable(state.peer, tried)) continue
      const score = (this.#estimate(state, now) * (state.active + 1)) / state.peer.effective
      if (score < bestScore) {
        best = state
        bestScore = score
        ties = 1
      } else if (score === bestScore) {
        // Equal scores (e.g. all unmeasured) are shared evenly by reservoir sampling.
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
    if (state !== undefined && state.active > 0) state.active -= 1
  }

  reportTtfb(peer: Peer, ms: number): void {
    const state = this.#byPeer.get(peer)
    if (state === undefined || !(ms >= 0) || ms === Infinity) return
    const now = this.#now()
    if (state.measured) {
      const elapsed = Math.max(0, now - state.updatedAt)
      const weight = Math.max(MIN_SAMPLE_WEIGHT, 1 - Math.exp(-elapsed / EWMA_DECAY_MS))
      state.ewma += weight * (ms - state.ewma)
    } else {
      state.ewma = ms
      state.measured = true
    }
    state.updatedAt = now
  }

  /** Current estimate for a peer in ms (undefined when unknown); for snapshots and tests. */
  estimate(peer: Peer): number | undefined {
    const state = this.#byPeer.get(peer)
    return state === undefined ? undefined : this.#estimate(state, this.#now())
  }

  /** In-flight requests counted for a peer (0 when unknown). */
  active(peer: Peer): number {
    return this.#byPeer.get(peer)?.active ?? 0
  }

  #estimate(state: PeerState, now: number): number {
    const idle = Math.max(0, now - state.updatedAt)
    return Math.max(MIN_ESTIMATE_MS, state.ewma * Math.exp(-idle / IDLE_DECAY_MS))
  }
}
