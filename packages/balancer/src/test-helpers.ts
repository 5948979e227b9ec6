// Test helpers: a seeded random source, a manual clock and small builders, so every balancer test
// is deterministic. Not exported from the package.

import type { Algorithm } from './algorithm.js'
import { NOTHING_TRIED } from './algorithm.js'
import type { AlgorithmName } from './algorithms.js'
import type { UpstreamConfig } from './upstream-config.js'
import type { MutablePeer, TargetConfig } from './peer.js'
import { createPeer } from './peer.js'

/**
 * Seeded uniform random in [0, 1): Marsaglia's xorshift32 (shifts 13, 17, 5). Plenty for spreading
 * ties and shuffling inputs; never for anything security-related.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 2 ** 32
  }
}

/** A clock that only moves when told to. */
export interface ManualClock {
  readonly now: () => number
  advance(ms: number): void
}

export function manualClock(start = 0): ManualClock {
  let time = start
  return {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
  }
}

/** Targets t0, t1, … at 10.0.0.<i+1>:8000 with the given weights. */
export function targets(weights: readonly number[], backup = false, offset = 0): TargetConfig[] {
  return weights.map((weight, i) => ({
    id: `t${i + offset}`,
    target: `10.0.0.${i + offset + 1}:8000`,
    weight,
    backup,
  }))
}

/** Mutable peers built from targets, as the balancer would hold them. */
export function peers(weights: readonly number[]): MutablePeer[] {
  return targets(weights).map(createPeer)
}

/** An upstream config with Kong's defaults for what the test does not care about. */
export function upstream(algorithm: AlgorithmName, overrides: Partial<UpstreamConfig> = {}) {
  return {
    id: 'u1',
    name: 'models',
    algorithm,
    slots: 10_000,
    healthchecks: { threshold: 0 },
    ...overrides,
  } satisfies UpstreamConfig
}

/** Picks n times from an algorithm, releasing each pick at once unless `hold` is set. */
export function pickMany(
  algorithm: Algorithm,
  n: number,
  options: { hold?: boolean; hash?: (i: number) => string } = {},
): string[] {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const peer = algorithm.pick(options.hash?.(i), NOTHING_TRIED)
    if (peer === undefined) throw new Error(`pick ${i} found no peer`)
    if (options.hold !== true) algorithm.release?.(peer)
    ids.push(peer.id)
  }
  return ids
}

/** Number of occurrences of each id. */
export function tally(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return counts
}

/** Longest run of the same id in a sequence. */
export function longestRun(ids: readonly string[]): number {
  let longest = 0
  let run = 0
  for (let i = 0; i < ids.length; i++) {
    run = i > 0 && ids[i] === ids[i - 1] ? run + 1 : 1
    longest = Math.max(longest, run)
  }
  return longest
}

/** Fisher–Yates shuffle of a copy, driven by the given random source. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}
