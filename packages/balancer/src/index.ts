// Public surface of @switchyard/balancer: pure load-balancing decisions for one upstream at a time
// (Kong's ring-balancer semantics plus a backup tier), with clock and randomness injected.
// The proxy builds one Balancer per upstream, picks per request, passes the handle back to retry,
// reports time to first byte and releases the handle when the response ends.

export { Balancer } from './balancer.js'
export type { BalancerDeps, PickRequest, PickResult } from './balancer.js'
export { MAX_SLOTS, MIN_SLOTS } from './upstream-config.js'
export type { UpstreamConfig } from './upstream-config.js'
export type { Handle } from './handle.js'
export type { Peer, TargetConfig } from './peer.js'
export { DEFAULT_TARGET_PORT, MAX_TARGET_WEIGHT, parseTarget } from './peer.js'
export type { BalancerHealth, TargetHealth, WeightTotals } from './balancer-health.js'
export { isHealthy } from './balancer-health.js'
export {
  BALANCER_ERROR_MESSAGES,
  BALANCER_UNHEALTHY,
  NO_PEERS_AVAILABLE,
  PEER_ERROR_RESPONSE_MESSAGE,
  PEER_ERROR_STATUS_CODE,
} from './errors.js'
export type { BalancerError, BalancerErrorCode } from './errors.js'
export { ALGORITHM_NAMES, isAlgorithmName } from './algorithms.js'
export type { AlgorithmName } from './algorithms.js'
