// Registry of balancing algorithms under Kong's exact strings, after the `algorithm_types` table
// in kong/runloop/balancer/balancers.lua and the `one_of` of the upstreams schema.

import type { Algorithm, AlgorithmFactory, AlgorithmOptions } from './algorithm.js'
import { ConsistentHashing } from './consistent-hashing.js'
import { Latency } from './latency.js'
import { LeastConnections } from './least-connections.js'
import { LowestUsage } from './lowest-usage.js'
import { RoundRobin } from './round-robin.js'

/** Algorithm factories keyed by Kong's `upstream.algorithm` strings. */
export const ALGORITHMS = Object.freeze({
  'round-robin': () => new RoundRobin(),
  'least-connections': (options) => new LeastConnections(options),
  'consistent-hashing': (options) => new ConsistentHashing(options),
  latency: (options) => new Latency(options),
  // Extension, not one of Kong's strings.
  'lowest-usage': (options) => new LowestUsage(options),
} satisfies Record<string, AlgorithmFactory>)

/** One of Kong's algorithm strings. */
export type AlgorithmName = keyof typeof ALGORITHMS

/** Every supported algorithm string: Kong's, in its schema order, then our extensions. */
export const ALGORITHM_NAMES = Object.freeze(Object.keys(ALGORITHMS) as AlgorithmName[])

/** Narrows an arbitrary string (e.g. from configuration) to an algorithm name. */
export function isAlgorithmName(name: string): name is AlgorithmName {
  return Object.hasOwn(ALGORITHMS, name)
}

/** Creates an algorithm by name; throws on an unknown name, which is invalid configuration. */
export function createAlgorithm(name: string, options: AlgorithmOptions): Algorithm {
  if (!isAlgorithmName(name)) {
    const expected = ALGORITHM_NAMES.join(', ')
    throw new RangeError(`unknown algorithm '${name}', expected one of ${expected}`)
  }
  return ALGORITHMS[name](options)
}
