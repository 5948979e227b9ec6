// `GET /metrics` on the Admin API (Kong's prometheus api.lua: present whether or not a
// prometheus instance exists). A control plane proxies no traffic: its scrape has the node
// gauges and the newest config version; each data plane serves its own request metrics on its
// status listener. Target health: a cluster control plane (role control_plane) leaves it to the
// data planes, as Kong does (otherwise Kong's dashboard counts one node too many); a control
// plane in the traditional role reads it from the shared health store. The standalone gateway passes its own scrape, which includes the
// in-process data plane's requests (one registry per node).

import type { Store } from '@switchyard/db'
import { checksEnabled, type HealthStore, type HealthchecksJson } from '@switchyard/health'
import {
  AddressResolver,
  scrapeGate,
  sendMetrics,
  targetHealthRows,
  type ConnectionStats,
  type KongMetrics,
  type UpstreamHealthInput,
} from '@switchyard/metrics'
import { StatusCache } from '../cluster/snapshot-cache.js'
import type { AdminRouter } from '../http/dispatch.js'

export function mountMetrics(router: AdminRouter, scrape: () => Promise<string>): void {
  router.mount('/metrics', {
    async GET(ctx) {
      sendMetrics(ctx.res, await scrape(), ctx.req.method === 'HEAD')
    },
  })
}

export interface ControlPlaneScrapeSources {
  metrics: KongMetrics
  store: Store
  healthStore: HealthStore | undefined
  connections: () => ConnectionStats
  resolver?: AddressResolver
  /** false for a cluster control plane: kong_upstream_target_health comes from data planes. */
  targetHealth?: boolean
}

async function upstreamsFromStore(store: Store, health: HealthStore | undefined): Promise<UpstreamHealthInput[]> {
  const [upstreams, targets] = await Promise.all([store.daos.upstreams.all(store.q), store.daos.targets.all(store.q)])
  return Promise.all(
    upstreams.map(async (u) => {
      const id = String(u['id'])
      const enabled = checksEnabled(u['healthchecks'] as HealthchecksJson | null)
      const states = enabled && health ? await health.states(id) : new Map()
      return {
        name: String(u['name']),
        checksEnabled: enabled,
        targets: targets
          .filter((t) => (t['upstream'] as { id?: string } | null)?.id === id)
          .map((t) => ({
            target: String(t['target']),
            weight: Number(t['weight']),
            status: states.get(String(t['target']))?.status ?? 'healthy',
          })),
      }
    })
  )
}

export function controlPlaneScrape(src: ControlPlaneScrapeSources): () => Promise<string> {
  const resolver = src.resolver ?? new AddressResolver()
  const status = new StatusCache(src.store)
  return async () => {
    const plugins = await src.store.daos.plugins.all(src.store.q)
    const gate = scrapeGate(
      plugins
        .filter((p) => p['name'] === 'prometheus' && p['enabled'] !== false)
        .map((p) => p['config'] as Record<string, unknown> | null)
    )
    const [targets, reachable, config] = await Promise.all([
      gate.upstreamHealth && src.targetHealth !== false ? upstreamsFromStore(src.store, src.healthStore).then((u) => targetHealthRows(u, resolver)) : undefined,
      src.store.database.ping().catch(() => false),
      status.current().catch(() => undefined),
    ])
    return src.metrics.scrape({
      gate,
      targets,
      datastoreReachable: reachable,
      connections: src.connections(),
      config: config && { version: config.config_version, hash: config.config_hash },
    })
  }
}
