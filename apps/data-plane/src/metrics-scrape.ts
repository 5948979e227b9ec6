// A data plane's (or the standalone gateway's) scrape: request families recorded by this node,
// node gauges, and target health computed at scrape time from this node's view of the shared
// health state, printed under Kong's gating (enabled prometheus instances in the config).

import { checksEnabled, type HealthchecksJson } from '@switchyard/health'
import {
  AddressResolver,
  scrapeGate,
  targetHealthRows,
  type ConnectionStats,
  type KongMetrics,
  type UpstreamHealthInput,
} from '@switchyard/metrics'
import type { ConfigState } from './config-state.js'
import type { HealthView } from './health-view.js'
import type { PluginResolver } from './plugin-resolver.js'

export interface DataPlaneScrapeSources {
  metrics: KongMetrics
  state: ConfigState
  plugins: PluginResolver
  /** The health view, once health checking has started. */
  health: () => HealthView | undefined
  connections?: () => ConnectionStats
  /** Data planes: whether the control plane answered last time. */
  controlPlaneConnected?: () => boolean
  /** The standalone gateway pings its database; a data plane has none (Kong's DB-less: 1). */
  datastoreReachable?: () => Promise<boolean> | boolean
  resolver?: AddressResolver
}

function upstreamsOf(state: ConfigState, view: HealthView | undefined): UpstreamHealthInput[] {
  const out: UpstreamHealthInput[] = []
  for (const u of state.upstreams) {
    const id = u.entity.id
    out.push({
      name: u.entity.name,
      checksEnabled: checksEnabled(u.entity['healthchecks'] as HealthchecksJson | null),
      targets: u.balancer.peers().map((p) => ({
        target: p.target,
        weight: p.weight,
        status: view?.statusOf(id, p.target) ?? 'healthy',
      })),
    })
  }
  return out
}

/** Returns the function that answers GET /metrics. */
export function dataPlaneScrape(src: DataPlaneScrapeSources): () => Promise<string> {
  const resolver = src.resolver ?? new AddressResolver()
  return async () => {
    const gate = scrapeGate(src.plugins.all('prometheus').map((p) => p.config))
    const [targets, datastoreReachable] = await Promise.all([
      gate.upstreamHealth ? targetHealthRows(upstreamsOf(src.state, src.health()), resolver) : undefined,
      src.datastoreReachable ? Promise.resolve(src.datastoreReachable()).catch(() => false) : true,
    ])
    return src.metrics.scrape({
      gate,
      targets,
      datastoreReachable,
      connections: src.connections?.(),
      controlPlaneConnected: src.controlPlaneConnected?.(),
      config: { version: src.state.version, hash: src.state.hash() },
    })
  }
}
