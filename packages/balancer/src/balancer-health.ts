// Weight and health totals of a balancer, after `updateStatus` and `getStatus` in
// kong/runloop/balancer/balancers.lua: the data behind
// `GET /upstreams/{u}/health?balancer_health=1`.
// Kong's rule is a fail-closed brake: the balancer is healthy iff it has weight and the available
// share of it is strictly above `healthchecks.threshold` percent; otherwise every pick fails.

import type { Peer } from './peer.js'

/** Weight split by health, as Kong reports it per host and per balancer. */
export interface WeightTotals {
  readonly total: number
  readonly available: number
  readonly unavailable: number
}

/** One target's entry (Kong's `details.hosts[]`, one address per target here). */
export interface TargetHealth {
  readonly id: string
  readonly target: string
  readonly host: string
  readonly port: number
  /** Configured weight (Kong's `nodeWeight`). */
  readonly nodeWeight: number
  readonly backup: boolean
  /** Health flag as set through `setHealth`; weight 0 does not change it. */
  readonly healthy: boolean
  readonly weight: WeightTotals
}

/** Health of a whole balancer (Kong's `data.details`, plus identity and threshold). */
export interface BalancerHealth {
  readonly id: string
  readonly name: string
  readonly healthy: boolean
  /** `healthchecks.threshold` in percent, 0..100. */
  readonly threshold: number
  readonly weight: WeightTotals
  readonly targets: readonly TargetHealth[]
}

/** Kong's rule: weight > 0 and available/total × 100 strictly above the threshold. */
export function isHealthy(weight: WeightTotals, threshold: number): boolean {
  // Multiplied out instead of divided, so integer weights compare exactly.
  return weight.total > 0 && weight.available * 100 > threshold * weight.total
}

/** Totals over all peers. Backups count too: they keep the balancer healthy while they serve. */
export function totalWeight(peers: Iterable<Peer>): WeightTotals {
  let total = 0
  let available = 0
  for (const peer of peers) {
    total += peer.weight
    if (peer.available) available += peer.weight
  }
  return { total, available, unavailable: total - available }
}

/** Builds the full health report for a balancer. */
export function describeHealth(
  upstream: { readonly id: string; readonly name: string; readonly threshold: number },
  peers: readonly Peer[],
): BalancerHealth {
  const weight = totalWeight(peers)
  return {
    id: upstream.id,
    name: upstream.name,
    healthy: isHealthy(weight, upstream.threshold),
    threshold: upstream.threshold,
    weight,
    targets: peers.map((peer) => ({
      id: peer.id,
      target: peer.target,
      host: peer.host,
      port: peer.port,
      nodeWeight: peer.weight,
      backup: peer.backup,
      healthy: peer.available,
      weight: totalWeight([peer]),
    })),
  }
}
