// The data plane's view of target health: states from the shared store (memory or Redis),
// kept current by its flip notifications, applied to the balancers — but only for upstreams
// whose health checks are enabled; with checks off every target counts as healthy, as in Kong.
// Also turns proxy attempts into passive-check outcomes.

import {
  checksEnabled,
  passiveEnabled,
  passiveOutcome,
  passiveThresholds,
  type HealthChange,
  type HealthStatus,
  type HealthStore,
  type HealthchecksJson,
  type Outcome,
} from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import type { BalancedUpstream, ConfigState } from './config-state.js'
import type { AttemptOutcome } from './proxy-server.js'

export class HealthView {
  private readonly states = new Map<string, Map<string, HealthStatus>>()
  /** Upstreams whose stored states were read; a flip alone does not make a full view. */
  private readonly loaded = new Set<string>()
  private unsubscribe: (() => void)[] = []

  constructor(
    private readonly config: ConfigState,
    private readonly store: HealthStore,
    private readonly log: Logger
  ) {}

  async start(): Promise<void> {
    this.unsubscribe.push(this.store.subscribe((c) => this.onFlip(c)))
    const resync = (this.store as { onResync?: (l: () => void) => () => void }).onResync
    if (resync) this.unsubscribe.push(resync.call(this.store, () => void this.reloadAll()))
    this.unsubscribe.push(
      this.config.onChange((upstreamId) => {
        if (upstreamId === undefined) void this.reloadAll()
        else {
          const u = this.config.upstreamById(upstreamId)
          if (u && !this.loaded.has(upstreamId)) void this.reload(u)
          else this.applyTo(upstreamId)
        }
      })
    )
    await this.reloadAll()
  }

  statusOf(upstreamId: string, target: string): HealthStatus {
    return this.states.get(upstreamId)?.get(target) ?? 'healthy'
  }

  private onFlip(c: HealthChange): void {
    let m = this.states.get(c.upstreamId)
    if (!m) {
      m = new Map()
      this.states.set(c.upstreamId, m)
    }
    m.set(c.target, c.status)
    this.applyTo(c.upstreamId)
  }

  async reloadAll(): Promise<void> {
    await Promise.all([...this.config.upstreams].map((u) => this.reload(u)))
  }

  private async reload(u: BalancedUpstream): Promise<void> {
    try {
      const states = await this.store.states(u.entity.id)
      this.states.set(u.entity.id, new Map([...states].map(([t, s]) => [t, s.status])))
      this.loaded.add(u.entity.id)
    } catch (err) {
      // Store unreachable: keep the last known view; the next resync fills it in.
      this.log.warn({ err, upstream: u.entity.name }, 'cannot load health states')
    }
    this.applyTo(u.entity.id)
  }

  /** Pushes the effective health of every target of one upstream into its balancer. */
  applyTo(upstreamId: string): void {
    const u = this.config.upstreamById(upstreamId)
    if (!u) return
    const enabled = checksEnabled(u.entity['healthchecks'] as HealthchecksJson | null)
    for (const peer of u.balancer.peers()) {
      const healthy = !enabled || this.statusOf(upstreamId, peer.target) !== 'unhealthy'
      if (peer.available !== healthy) u.balancer.setHealth(peer.id, healthy)
    }
  }

  /** Passive checks: reports one proxy attempt's result when the upstream counts them. */
  record(attempt: AttemptOutcome): void {
    const u = attempt.upstream
    const target = attempt.peer.target
    if (!u || !target) return
    const hc = u.entity['healthchecks'] as HealthchecksJson | null
    if (!passiveEnabled(hc) && !hc?.passive?.healthy?.successes) return
    let outcome: Outcome | undefined
    if (attempt.failure) outcome = attempt.failure === 'timeout' ? 'timeout' : 'tcp_failure'
    else if (attempt.status !== undefined) outcome = passiveOutcome(hc, attempt.status)
    if (!outcome) return
    this.store.report(u.entity.id, target, outcome, passiveThresholds(hc)).catch((err: unknown) => {
      this.log.debug({ err }, 'passive health report failed')
    })
  }

  stop(): void {
    for (const u of this.unsubscribe) u()
    this.unsubscribe = []
  }
}
