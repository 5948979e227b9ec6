// The part of Kong's upstream entity (kong/db/schema/entities/upstreams.lua) a balancer needs,
// and its validation. Entities are validated before they reach us; the checks here only guard
// against misuse, so they throw.

import type { AlgorithmName } from './algorithms.js'
import { ALGORITHM_NAMES, isAlgorithmName } from './algorithms.js'

/** Smallest upstream `slots` Kong's schema accepts. */
export const MIN_SLOTS = 10
/** Largest upstream `slots` Kong's schema accepts. */
export const MAX_SLOTS = 65536

/** The fields of Kong's upstream entity the balancer needs. */
export interface UpstreamConfig {
  readonly id: string
  readonly name: string
  readonly algorithm: AlgorithmName
  /** Ring size for consistent hashing, 10..65536. */
  readonly slots: number
  /** `threshold`: percent of weight that must be available, 0..100. */
  readonly healthchecks: { readonly threshold: number }
}

/** Throws RangeError when the algorithm is unknown or slots/threshold are out of bounds. */
export function checkUpstream(upstream: UpstreamConfig): void {
  const { algorithm, slots, healthchecks } = upstream
  if (!isAlgorithmName(algorithm)) {
    throw new RangeError(`algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`)
  }
  if (!Number.isInteger(slots) || slots < MIN_SLOTS || slots > MAX_SLOTS) {
    throw new RangeError(`slots of upstream '${upstream.name}' must be ${MIN_SLOTS}..${MAX_SLOTS}`)
  }
  const threshold = healthchecks.threshold
  if (!(threshold >= 0 && threshold <= 100)) {
    throw new RangeError(`healthchecks.threshold of upstream '${upstream.name}' must be 0..100`)
  }
}
