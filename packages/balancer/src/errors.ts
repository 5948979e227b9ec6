// Error catalog of the balancer, after `balancers.errors` in kong/runloop/balancer/balancers.lua.
// A failed pick is an expected outcome on the hot path, so it is returned as one of these frozen
// values (no allocation, no stack capture) instead of being thrown.

/** Kong's exact messages, keyed by stable code; clients and logs match on the text. */
export const BALANCER_ERROR_MESSAGES = Object.freeze({
  NO_PEERS_AVAILABLE: 'No peers are available',
  BALANCER_UNHEALTHY: 'Balancer is unhealthy',
} as const)

/** Stable code of a balancer error. */
export type BalancerErrorCode = keyof typeof BALANCER_ERROR_MESSAGES

/** An expected pick failure: a stable `code` plus Kong's `message`. */
export interface BalancerError {
  readonly code: BalancerErrorCode
  readonly message: (typeof BALANCER_ERROR_MESSAGES)[BalancerErrorCode]
}

/** Every usable peer is unavailable, weighted 0 or already tried by this request. */
export const NO_PEERS_AVAILABLE: BalancerError = Object.freeze({
  code: 'NO_PEERS_AVAILABLE',
  message: BALANCER_ERROR_MESSAGES.NO_PEERS_AVAILABLE,
})

/** The available weight is at or below `healthchecks.threshold` percent (or there is no weight). */
export const BALANCER_UNHEALTHY: BalancerError = Object.freeze({
  code: 'BALANCER_UNHEALTHY',
  message: BALANCER_ERROR_MESSAGES.BALANCER_UNHEALTHY,
})

/** HTTP status the proxy answers for either balancer error (kong/runloop/balancer/init.lua). */
export const PEER_ERROR_STATUS_CODE = 503

/** Response `message` the proxy sends for either balancer error; the error text is only logged. */
export const PEER_ERROR_RESPONSE_MESSAGE = 'failure to get a peer from the ring-balancer'
