// Health checking for one data plane (or the standalone gateway): the health view applied to
// the balancers, passive reports from the proxy, and the cluster-once active prober.

import { ActiveProber, type HealthStore, type HealthchecksJson, type Lease, type ProbedUpstream } from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import type { ConfigState } from './config-state.js'
import type { AttemptOutcome } from './proxy-server.js'
import { HalfOpen } from './half-open.js'
import { HealthView } from './health-view.js'

export interface HealthRuntime {
  view: HealthView
  prober: ActiveProber
  halfOpen: HalfOpen
  /** Feed every proxy attempt here: passive checks and half-open trials. */
  record(attempt: AttemptOutcome): void
  stop(): Promise<void>
}

function probedUpstreams(state: ConfigState): ProbedUpstream[] {
  const out: ProbedUpstream[] = []
  for (const u of state.upstreams) {
    const hostHeader = u.entity['host_header']
    const certId = (u.entity['client_certificate'] as { id?: string } | null)?.id
    const cert = certId ? state.get('certificates', certId) : undefined
    out.push({
      id: u.entity.id,
      healthchecks: u.entity['healthchecks'] as HealthchecksJson | null,
      hostHeader: typeof hostHeader === 'string' ? hostHeader : null,
      clientCertificate:
        typeof cert?.['cert'] === 'string' && typeof cert['key'] === 'string'
          ? { cert: cert['cert'], key: cert['key'] }
          : undefined,
      targets: u.balancer.peers().map((p) => ({ target: p.target, host: p.host, port: p.port, weight: p.weight })),
    })
  }
  return out
}

export async function startHealth(opts: {
  state: ConfigState
  store: HealthStore
  lease: Lease
  nodeId: string
  log: Logger
  tickMs?: number
  /** Half-open cooldown for passive-only upstreams, ms; 0 (default) disables it. */
  halfOpenMs?: number
}): Promise<HealthRuntime> {
  const view = new HealthView(opts.state, opts.store, opts.log)
  await view.start()
  const prober = new ActiveProber({
    nodeId: opts.nodeId,
    store: opts.store,
    lease: opts.lease,
    upstreams: () => probedUpstreams(opts.state),
    statusOf: (u, t) => view.statusOf(u, t),
    ...(opts.tickMs ? { tickMs: opts.tickMs } : {}),
    onError: (err) => opts.log.debug({ err }, 'active probe failed'),
  })
  prober.start()
  const halfOpen = new HalfOpen({ state: opts.state, store: opts.store, log: opts.log, cooldownMs: opts.halfOpenMs ?? 0 })
  halfOpen.start()
  return {
    view,
    prober,
    halfOpen,
    record: (a) => {
      // A provider's rate-limit answer is a cooldown's business (AiRuntime), not a health
      // failure: counting it would eject a target that is only busy.
      if (a.rateLimited) return
      view.record(a)
      halfOpen.record(a)
    },
    stop: async () => {
      halfOpen.stop()
      view.stop()
      await prober.stop()
    },
  }
}
