// The balancer of one upstream, after the balancer object in kong/runloop/balancer/balancers.lua:
// it owns targets, weights, health flags and the health threshold, and delegates the choice to
// one algorithm per tier. Beyond Kong:
// - a backup tier: `backup` targets serve only when no primary is usable for this request
//   (unhealthy, weight 0 or already tried), balanced among themselves by the same algorithm;
// - incremental updates: a target change rebuilds only its tier and keeps the in-flight counts,
//   latency estimates and health flags of every other target (Kong rebuilds the whole balancer);
// - retries never return a peer the request already tried.

import type { Algorithm, AlgorithmOptions } from './algorithm.js'
import { NOTHING_TRIED } from './algorithm.js'
import type { AlgorithmName } from './algorithms.js'
import { createAlgorithm } from './algorithms.js'
import type { BalancerHealth } from './balancer-health.js'
import { describeHealth, isHealthy, totalWeight } from './balancer-health.js'
import type { BalancerError } from './errors.js'
import { BALANCER_UNHEALTHY, NO_PEERS_AVAILABLE } from './errors.js'
import type { Handle } from './handle.js'
import { PickHandle } from './handle.js'
import type { MutablePeer, Peer, TargetConfig } from './peer.js'
import { checkTarget, createPeer } from './peer.js'
import type { UpstreamConfig } from './upstream-config.js'
import { checkUpstream } from './upstream-config.js'

/** Clock and randomness, injected so the balancer stays pure and tests stay deterministic. */
export interface BalancerDeps {
  /** Monotonic milliseconds, e.g. `() => performance.now()`. */
  readonly now: () => number
  /** Uniform in [0, 1), e.g. `Math.random`. */
  readonly random: () => number
}

/** Per-request input to a pick. */
export interface PickRequest {
  /** Hash input for consistent hashing (from hash_on / hash_fallback); ignored otherwise. */
  readonly hashValue?: string | undefined
}

/** Outcome of a pick: a peer with its handle, or an expected failure. */
export type PickResult =
  | { readonly ok: true; readonly peer: Peer; readonly handle: Handle }
  | { readonly ok: false; readonly error: BalancerError }

const UNHEALTHY_RESULT: PickResult = Object.freeze({ ok: false, error: BALANCER_UNHEALTHY })
const NO_PEERS_RESULT: PickResult = Object.freeze({ ok: false, error: NO_PEERS_AVAILABLE })

interface Tier {
  algorithm: Algorithm
  peers: Peer[]
}

/** Which tiers an update touched; each is rebuilt once at the end of the update. */
interface Dirty {
  primary: boolean
  backup: boolean
}

/**
 * Balancer of one upstream.
 *
 * @example
 * const deps = { now: () => performance.now(), random: Math.random }
 * const balancer = new Balancer(upstream, targets, deps)
 * let result = balancer.pick({ hashValue })
 * // on a retryable failure: result = balancer.pick({ hashValue }, result.handle)
 * // when the response is over: result.handle.release()
 */
export class Balancer {
  readonly #deps: BalancerDeps
  #upstream: UpstreamConfig
  /** Peers by target id, in insertion order. */
  readonly #byId = new Map<string, MutablePeer>()
  /** The same peers by `host:port`, for setHealth/remove by address. */
  readonly #byTarget = new Map<string, MutablePeer>()
  #primary: Tier
  #backup: Tier
  #healthy = false

  constructor(upstream: UpstreamConfig, targets: readonly TargetConfig[], deps: BalancerDeps) {
    checkUpstream(upstream)
    this.#upstream = upstream
    this.#deps = deps
    this.#primary = { algorithm: this.#createAlgorithm(), peers: [] }
    this.#backup = { algorithm: this.#createAlgorithm(), peers: [] }
    this.setTargets(targets)
  }

  /** Upstream id. */
  get id(): string {
    return this.#upstream.id
  }

  /** Upstream name (the Service host that selects this balancer). */
  get name(): string {
    return this.#upstream.name
  }

  /** Kong's algorithm string in use. */
  get algorithm(): AlgorithmName {
    return this.#upstream.algorithm
  }

  /** Whether picks can succeed at all (Kong's `balancer_health`). */
  get healthy(): boolean {
    return this.#healthy
  }

  /**
   * Picks a peer for a request. Pass the previous handle to retry: the previous attempt is
   * released, and no peer this request already tried is returned. When primaries are exhausted the
   * backup tier is used; when everything is, the result is `NO_PEERS_AVAILABLE`.
   */
  pick(request: PickRequest, previous?: Handle): PickResult {
    let handle: PickHandle | undefined
    if (previous !== undefined) {
      if (!(previous instanceof PickHandle)) throw new TypeError('not a handle from Balancer.pick')
      previous.release()
      handle = previous
    }
    if (!this.#healthy) return UNHEALTHY_RESULT
    const tried = handle?.tried ?? NOTHING_TRIED
    let algorithm = this.#primary.algorithm
    let peer = algorithm.pick(request.hashValue, tried)
    if (peer === undefined && this.#backup.peers.length > 0) {
      algorithm = this.#backup.algorithm
      peer = algorithm.pick(request.hashValue, tried)
    }
    if (peer === undefined) return NO_PEERS_RESULT
    handle ??= new PickHandle()
    handle.begin(peer, algorithm)
    return { ok: true, peer, handle }
  }

  /**
   * Marks a target (by id or `host:port`) healthy or unhealthy. No rebuild: algorithms read the
   * flag at pick time. Returns false when the target is unknown.
   */
  setHealth(idOrTarget: string, healthy: boolean): boolean {
    const peer = this.#find(idOrTarget)
    if (peer === undefined) return false
    if (peer.available !== healthy) {
      peer.available = healthy
      this.#updateHealth()
    }
    return true
  }

  /**
   * Sets the share of a target's weight in effect (0..1; out-of-range values are clamped): the
   * caller's cooldowns, de-weighting and slow start. Share 0 takes the target out of rotation
   * without changing its health (Kong's balancer health and threshold still see its weight).
   * No rebuild: algorithms read the effective weight at pick time; consistent hashing keeps its
   * ring and only honours share 0. Returns false when the target is unknown.
   */
  setShare(idOrTarget: string, share: number): boolean {
    const peer = this.#find(idOrTarget)
    if (peer === undefined) return false
    const s = share > 0 ? Math.min(1, share) : 0
    peer.share = s
    peer.effective = peer.weight * s
    return true
  }

  /** Sets a target's usage as `lowest-usage` compares it. Returns false when it is unknown. */
  setUsage(idOrTarget: string, usage: number): boolean {
    const peer = this.#find(idOrTarget)
    if (peer === undefined) return false
    peer.usage = Number.isFinite(usage) && usage > 0 ? usage : 0
    return true
  }

  /** Adds to a target's usage (e.g. a request's reservation the moment it is picked). */
  addUsage(idOrTarget: string, delta: number): boolean {
    const peer = this.#find(idOrTarget)
    if (peer === undefined) return false
    return this.setUsage(peer.id, peer.usage + delta)
  }

  /** Adds a target or applies a change to it (weight, backup, address). */
  upsertTarget(target: TargetConfig): void {
    checkTarget(target)
    const dirty: Dirty = { primary: false, backup: false }
    this.#apply(target, dirty)
    this.#commit(dirty)
  }

  /** Removes a target by id or `host:port`. Returns false when it is unknown. */
  removeTarget(idOrTarget: string): boolean {
    const peer = this.#find(idOrTarget)
    if (peer === undefined) return false
    const dirty: Dirty = { primary: false, backup: false }
    this.#delete(peer, dirty)
    this.#commit(dirty)
    return true
  }

  /** Replaces the target list, applying only the difference (e.g. after a full snapshot). */
  setTargets(targets: readonly TargetConfig[]): void {
    // Validate everything first, so an invalid entry leaves the balancer untouched.
    for (const target of targets) checkTarget(target)
    const dirty: Dirty = { primary: false, backup: false }
    for (const target of targets) this.#apply(target, dirty)
    const keep = new Set(targets.map((t) => t.id))
    for (const peer of [...this.#byId.values()]) {
      if (!keep.has(peer.id)) this.#delete(peer, dirty)
    }
    this.#commit(dirty)
  }

  /**
   * Applies an upstream change. A new algorithm (or new slots under consistent hashing) replaces
   * the algorithm instances; anything else keeps them and their per-peer state.
   */
  updateUpstream(upstream: UpstreamConfig): void {
    checkUpstream(upstream)
    const previous = this.#upstream
    this.#upstream = upstream
    const algorithmChanged =
      upstream.algorithm !== previous.algorithm ||
      (upstream.algorithm === 'consistent-hashing' && upstream.slots !== previous.slots)
    if (algorithmChanged) {
      this.#primary.algorithm = this.#createAlgorithm()
      this.#backup.algorithm = this.#createAlgorithm()
      this.#commit({ primary: true, backup: true })
    } else {
      this.#updateHealth()
    }
  }

  /** A target by id or `host:port`. */
  peer(idOrTarget: string): Peer | undefined {
    return this.#find(idOrTarget)
  }

  /** Every target, primaries and backups, in insertion order. */
  peers(): Peer[] {
    return [...this.#byId.values()]
  }

  /** Weight and health totals per target and for the balancer (Kong's `balancer_health=1`). */
  health(): BalancerHealth {
    const { id, name, healthchecks } = this.#upstream
    return describeHealth({ id, name, threshold: healthchecks.threshold }, this.peers())
  }

  #find(idOrTarget: string): MutablePeer | undefined {
    return this.#byId.get(idOrTarget) ?? this.#byTarget.get(idOrTarget)
  }

  #apply(config: TargetConfig, dirty: Dirty): void {
    const current = this.#byId.get(config.id)
    if (current !== undefined && current.target === config.target) {
      const weight = config.weight
      const backup = config.backup === true
      if (current.weight !== weight) {
        current.weight = weight
        current.effective = weight * current.share
        markDirty(dirty, current.backup)
      }
      if (current.backup !== backup) {
        // The peer moves tiers; its per-peer state stays with the tier it leaves.
        markDirty(dirty, current.backup)
        current.backup = backup
        markDirty(dirty, backup)
      }
      return
    }
    // A new target, or an id moved to another address: a fresh peer with fresh counters.
    const peer = createPeer(config)
    const sameAddress = this.#byTarget.get(peer.target)
    if (sameAddress !== undefined) {
      // Another id for an address we know (delete + re-create): health, share and usage belong
      // to the address.
      peer.available = sameAddress.available
      peer.share = sameAddress.share
      peer.effective = peer.weight * peer.share
      peer.usage = sameAddress.usage
      this.#delete(sameAddress, dirty)
    }
    if (current !== undefined) this.#delete(current, dirty)
    this.#byId.set(peer.id, peer)
    this.#byTarget.set(peer.target, peer)
    markDirty(dirty, peer.backup)
  }

  #delete(peer: MutablePeer, dirty: Dirty): void {
    this.#byId.delete(peer.id)
    if (this.#byTarget.get(peer.target) === peer) this.#byTarget.delete(peer.target)
    markDirty(dirty, peer.backup)
  }

  #commit(dirty: Dirty): void {
    if (dirty.primary) this.#rebuild(this.#primary, false)
    if (dirty.backup) this.#rebuild(this.#backup, true)
    this.#updateHealth()
  }

  #rebuild(tier: Tier, backup: boolean): void {
    tier.peers = [...this.#byId.values()].filter((p) => p.backup === backup)
    tier.algorithm.rebuild(tier.peers)
  }

  #updateHealth(): void {
    const { threshold } = this.#upstream.healthchecks
    this.#healthy = isHealthy(totalWeight(this.#byId.values()), threshold)
  }

  #createAlgorithm(): Algorithm {
    const options: AlgorithmOptions = {
      now: this.#deps.now,
      random: this.#deps.random,
      slots: this.#upstream.slots,
    }
    return createAlgorithm(this.#upstream.algorithm, options)
  }
}

function markDirty(dirty: Dirty, backup: boolean): void {
  if (backup) dirty.backup = true
  else dirty.primary = true
}
