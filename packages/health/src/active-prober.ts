// Active health checks, once per cluster: for each upstream with active checks, the node that
// holds the upstream's lease probes its targets (healthy ones every healthy.interval, unhealthy
// ones every unhealthy.interval, weight-0 ones never) and reports through the shared store.
// The lease lives 1.5 intervals and is renewed every tick, so when the holder dies another node
// takes over within two intervals.

import { activeEnabled, activeThresholds, type HealthchecksJson } from './config.js'
import type { HealthStatus } from './counters.js'
import type { Lease } from './lease.js'
import { probe, type ProbeTarget } from './probe.js'
import type { HealthStore } from './store.js'

export interface ProbedUpstream {
  id: string
  healthchecks: HealthchecksJson | null
  hostHeader: string | null
  /** Presented by https probes: the upstream's client_certificate. */
  clientCertificate?: { cert: string; key: string } | undefined
  targets: { target: string; host: string; port: number; weight: number }[]
}

export interface ActiveProberOptions {
  /** This node's identity, the lease holder name. */
  nodeId: string
  store: HealthStore
  lease: Lease
  /** The current upstreams (read at every tick, so config changes apply at once). */
  upstreams: () => Iterable<ProbedUpstream>
  /** Current status of a target as this node sees it. */
  statusOf: (upstreamId: string, target: string) => HealthStatus
  /** How often the scheduler looks at every upstream. */
  tickMs?: number
  onError?: (err: unknown) => void
}

const DEFAULT_TICK_MS = 250

export class ActiveProber {
  private timer: NodeJS.Timeout | undefined
  private readonly lastProbe = new Map<string, number>()
  private readonly inFlight = new Set<string>()
  private readonly holding = new Set<string>()
  private ticking = false

  constructor(private readonly opts: ActiveProberOptions) {}

  start(): void {
    const tick = this.opts.tickMs ?? DEFAULT_TICK_MS
    this.timer = setInterval(() => void this.tick(), tick)
    this.timer.unref()
  }

  /** Upstream ids whose lease this node holds (for tests and status). */
  get leases(): ReadonlySet<string> {
    return this.holding
  }

  async tick(): Promise<void> {
    if (this.ticking) return
    this.ticking = true
    try {
      const now = Date.now()
      for (const u of this.opts.upstreams()) {
        const hc = u.healthchecks
        if (!activeEnabled(hc)) continue
        const healthyEvery = (hc?.active?.healthy?.interval ?? 0) * 1000
        const unhealthyEvery = (hc?.active?.unhealthy?.interval ?? 0) * 1000
        const shortest = Math.min(...[healthyEvery, unhealthyEvery].filter((x) => x > 0))
        const held = await this.opts.lease.acquire(`probe:${u.id}`, this.opts.nodeId, shortest * 1.5)
        if (!held) {
          this.holding.delete(u.id)
          continue
        }
        this.holding.add(u.id)
        for (const t of u.targets) {
          if (t.weight === 0) continue
          const key = `${u.id}|${t.target}`
          const status = this.opts.statusOf(u.id, t.target)
          const every = status === 'healthy' ? healthyEvery : unhealthyEvery
          if (every <= 0 || this.inFlight.has(key)) continue
          if (now - (this.lastProbe.get(key) ?? 0) < every) continue
          this.lastProbe.set(key, now)
          this.inFlight.add(key)
          const target: ProbeTarget = {
            host: t.host,
            port: t.port,
            hostHeader: u.hostHeader ?? t.target,
            clientCertificate: u.clientCertificate,
          }
          void probe(hc!, target)
            .then((outcome) => (outcome ? this.opts.store.report(u.id, t.target, outcome, activeThresholds(hc)) : undefined))
            .catch((err: unknown) => this.opts.onError?.(err))
            .finally(() => this.inFlight.delete(key))
        }
      }
    } catch (err) {
      this.opts.onError?.(err)
    } finally {
      this.ticking = false
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    for (const id of this.holding) await this.opts.lease.release(`probe:${id}`, this.opts.nodeId)
    this.holding.clear()
  }
}
