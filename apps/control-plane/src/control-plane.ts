// Composes a control plane: database (Postgres or PGlite) with migrations, the store, the
// Admin API app. Listening is the caller's job, so tests and the gateway share this.

import { connectPglite, connectPostgres, Store, type CommitWatcher, type Database, type PostgresOptions } from '@switchyard/db'
import { PLUGIN_SCHEMAS } from '@switchyard/entities'
import type { AiStateStore, HealthStore } from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import { ConnectionCounters, KongMetrics } from '@switchyard/metrics'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createAdminApp, type AdminApp } from './admin-app.js'
import type { AdminDeps } from './endpoints/context.js'
import type { AdminRouter } from './http/dispatch.js'
import { mountHealth } from './routes/health.js'
import { controlPlaneScrape, mountMetrics } from './routes/metrics.js'
import { serverCounters } from './routes/root.js'

export interface ControlPlaneOptions {
  /** Postgres URL; PGlite when undefined. */
  databaseUrl: string | undefined
  /** TLS, timeouts and pool for Postgres. */
  postgres?: PostgresOptions
  /** PGlite directory; in memory when undefined. */
  dataDir?: string | undefined
  log: Logger
  nodeId?: string
  now?: () => number
  /** Receives every committed batch of changes (cluster publisher, local data plane), with its epoch when known. */
  onCommit?: CommitWatcher
  extend?: (router: AdminRouter) => void
  /** Admin API token (SWITCHYARD_ADMIN_TOKEN); undefined = open, as in Kong OSS. */
  adminToken?: string | undefined
  configuration?: Record<string, unknown>
  /** Shared health state: enables `/upstreams/{u}/health` and the healthy/unhealthy endpoints. */
  healthStore?: HealthStore
  /** AI-aware balancing state: adds cooldowns, provider windows and budgets to the health view. */
  aiStore?: AiStateStore
  /** What `GET /metrics` answers; default: this control plane's own scrape (no traffic). */
  metricsScrape?: () => Promise<string>
  /** control_plane: data planes report target health, this node does not. */
  role?: 'traditional' | 'control_plane'
}

export interface ControlPlane extends AdminApp {
  database: Database
  store: Store
  nodeId: string
  counters: ConnectionCounters
  close(): Promise<void>
}

export async function openDatabase(url: string | undefined, dataDir?: string, postgres?: PostgresOptions): Promise<Database> {
  if (url) return connectPostgres(url, postgres)
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  return connectPglite(dataDir)
}

export async function createControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const database = await openDatabase(opts.databaseUrl, opts.dataDir, opts.postgres)
  const store = new Store(database)
  const nodeId = opts.nodeId ?? randomUUID()
  const counters = new ConnectionCounters()
  const listeners: CommitWatcher[] = opts.onCommit ? [opts.onCommit] : []
  const stores = [opts.healthStore, opts.aiStore].filter((x) => x !== undefined)
  if (stores.length > 0) {
    // As in Kong, a removed target (or upstream) takes its health state with it, so an address
    // added again starts healthy (and not cooling down).
    listeners.push((events) => {
      for (const e of events) {
        if (e.op !== 'delete') continue
        for (const st of stores) {
          const done =
            e.entity === 'upstreams'
              ? st.clear(e.id)
              : e.entity === 'targets' && e.payload
                ? st.clear(String((e.payload['upstream'] as { id?: string } | null)?.id), String(e.payload['target']))
                : undefined
          done?.catch((err: unknown) => opts.log.warn({ err }, 'cannot clear health state'))
        }
      }
    })
  }
  // Every write goes through the store, so every commit reaches the listeners from there.
  for (const l of listeners) {
    store.watchCommits((events, epoch) => {
      try {
        l(events, epoch)
      } catch (err) {
        opts.log.error({ err }, 'commit listener failed')
      }
    })
  }
  const deps: AdminDeps = { store, now: opts.now ?? Date.now, newId: randomUUID }
  const admin = createAdminApp({
    deps,
    log: opts.log,
    adminToken: opts.adminToken,
    node: {
      nodeId,
      configuration: {
        // Kong tools (decK) read `database` to tell DB mode from DB-less: PGlite is Postgres.
        database: 'postgres',
        switchyard_storage: database.kind,
        router_flavor: 'traditional_compatible',
        role: 'traditional',
        ...opts.configuration,
      },
      counters: () => serverCounters(counters.stats()),
      availablePlugins: Object.fromEntries(
        Object.entries(PLUGIN_SCHEMAS).map(([name, s]) => [name, { version: s.version, priority: s.priority }])
      ),
    },
    extend: (router) => {
      if (opts.healthStore) mountHealth(router, deps, opts.healthStore, nodeId, opts.aiStore)
      mountMetrics(
        router,
        opts.metricsScrape ??
          controlPlaneScrape({
            metrics: new KongMetrics({ nodeId }),
            store,
            healthStore: opts.healthStore,
            connections: () => counters.stats(),
            targetHealth: opts.role !== 'control_plane',
          })
      )
      opts.extend?.(router)
    },
  })
  return {
    ...admin,
    database,
    store,
    nodeId,
    counters,
    close: () => database.close(),
  }
}
