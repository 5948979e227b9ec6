// A peer is one target of an upstream as the balancer sees it: address, weight, tier and health.
// Kong balances over DNS-resolved addresses (kong/runloop/balancer/targets.lua); we balance over
// targets and leave name resolution to the connection pool, so one target is one peer.

/** Port Kong assumes when a target string has none (kong/db/dao/targets.lua). */
export const DEFAULT_TARGET_PORT = 8000
/** Largest target weight, as in the targets schema (the smallest is 0). */
export const MAX_TARGET_WEIGHT = 65535

/** A target as configured: the fields of Kong's target entity the balancer needs. */
export interface TargetConfig {
  /** Target id (uuid); the stable identity across updates. */
  readonly id: string
  /** `host:port` as stored by the Admin API (IPv6 bracketed: `[::1]:8080`). */
  readonly target: string
  /** Relative share of traffic, 0..65535; 0 keeps the target listed but never picked. */
  readonly weight: number
  /** Extension: serve only when no primary target is usable. Default false. */
  readonly backup?: boolean
}

/** A balanced peer. The balancer owns and mutates it; everyone else reads it. */
export interface Peer {
  /** Target id. */
  readonly id: string
  /** `host:port`, exactly as configured. */
  readonly target: string
  /** Host without IPv6 brackets, ready for a socket connect. */
  readonly host: string
  readonly port: number
  readonly weight: number
  readonly backup: boolean
  /** Health as last set through `Balancer.setHealth`; starts healthy. */
  readonly available: boolean
  /**
   * Share of the weight in effect, 0..1, as last set through `Balancer.setShare` (the caller's
   * cooldowns, de-weighting, slow start); starts at 1. 0 takes the peer out of rotation without
   * touching its health.
   */
  readonly share: number
  /** `weight × share`: what the algorithms balance on. */
  readonly effective: number
  /** Usage reported from outside (`Balancer.setUsage`/`addUsage`), read by `lowest-usage`. */
  readonly usage: number
}

/** The balancer's own view of a peer: same object, writable. */
export type MutablePeer = { -readonly [K in keyof Peer]: Peer[K] }

/** Splits `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 or a bare host into host and port. */
export function parseTarget(target: string): { host: string; port: number } {
  let host = target
  let portText: string | undefined
  if (target.startsWith('[')) {
    const close = target.indexOf(']')
    if (close < 0) throw new RangeError(`invalid target '${target}'`)
    host = target.slice(1, close)
    const rest = target.slice(close + 1)
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new RangeError(`invalid target '${target}'`)
      portText = rest.slice(1)
    }
  } else {
    const colon = target.lastIndexOf(':')
    // More than one colon without brackets is a bare IPv6 address, not host:port.
    if (colon >= 0 && target.indexOf(':') === colon) {
      host = target.slice(0, colon)
      portText = target.slice(colon + 1)
    }
  }
  if (host === '') throw new RangeError(`invalid target '${target}'`)
  if (portText === undefined) return { host, port: DEFAULT_TARGET_PORT }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(port >= 0 && port <= 65535)) throw new RangeError(`invalid port in target '${target}'`)
  return { host, port }
}

/** Throws on a weight outside 0..65535 or not an integer: that is invalid configuration. */
export function checkWeight(weight: number, target: string): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_TARGET_WEIGHT) {
    throw new RangeError(`weight of target '${target}' must be an integer 0..${MAX_TARGET_WEIGHT}`)
  }
  return weight
}

/** Throws RangeError when a target configuration is invalid; lets updates validate first. */
export function checkTarget(config: TargetConfig): void {
  parseTarget(config.target)
  checkWeight(config.weight, config.target)
}

/** Builds a fresh, healthy peer from a target configuration. */
export function createPeer(config: TargetConfig): MutablePeer {
  const { host, port } = parseTarget(config.target)
  return {
    id: config.id,
    target: config.target,
    host,
    port,
    weight: checkWeight(config.weight, config.target),
    backup: config.backup === true,
    available: true,
    share: 1,
    effective: config.weight,
    usage: 0,
  }
}
