// `npm start`: control plane and data plane in one process, on PGlite in ./.data unless
// DATABASE_URL / KONG_PG_* point at Postgres.

import { adminExposureWarning, createControlPlane } from '@switchyard/control-plane'
import {
  ConfigState,
  createPluginAccess,
  createProxyServer,
  createStatusServer,
  dataPlaneScrape,
  MetricsRecorder,
  metricsRoute,
  PluginResolver,
  startHealth,
} from '@switchyard/data-plane'
import { MemoryHealthStore, MemoryLease } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import { KongMetrics } from '@switchyard/metrics'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import { loadGatewayConfig } from './config.js'
import { listen } from '@switchyard/server'

const config = loadGatewayConfig()
const log = createLogger({ level: config.logLevel, bindings: { app: 'gateway' } })

// The in-process data plane follows the control plane's commits directly.
const state = new ConfigState({ now: () => performance.now(), random: Math.random })
// One process: the Admin API and the proxy share the in-memory health state.
const healthStore = new MemoryHealthStore()
// One node, one registry: the Admin API's and the status listener's /metrics print the same
// scrape, request metrics of the in-process data plane included.
const nodeId = randomUUID()
const metrics = new KongMetrics({ nodeId })
let scrape: () => Promise<string> = async () => ''
const cp = await createControlPlane({
  nodeId,
  healthStore,
  metricsScrape: () => scrape(),
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  log,
  adminToken: config.adminToken,
  onCommit: (events) => {
    for (const e of events) state.apply(e)
  },
})
state.loadSnapshot(await cp.store.snapshot())
const health = await startHealth({
  state,
  store: healthStore,
  lease: new MemoryLease(),
  nodeId: cp.nodeId,
  log,
  halfOpenMs: config.halfOpenMs,
})
const metricsPlugins = new PluginResolver(state)
const recorder = new MetricsRecorder(metrics, metricsPlugins)
scrape = dataPlaneScrape({
  metrics,
  state,
  plugins: metricsPlugins,
  health: () => health.view,
  connections: () => cp.counters.stats(),
  datastoreReachable: () => cp.store.database.ping(),
})


const exposed = adminExposureWarning(config.adminListen, config.adminToken)
if (exposed) log.warn({ listen: config.adminListen }, exposed)
if (config.adminListen) {
  const admin = http.createServer(cp.app)
  cp.counters.watch(admin)
  await listen(admin, config.adminListen, 'admin API', log)
}
// Plugins' access phase (rate limiting) for the in-process data plane.
const plugins = createPluginAccess({ state, log })
if (config.proxyListen) {
  const listenPort = config.proxyListen.port
  const proxy = createProxyServer({
    state,
    log,
    port: () => listenPort,
    onAttempt: (a) => health.record(a),
    access: plugins.access,
    onRequestEnd: recorder.onRequestEnd,
    responseTap: recorder.responseTap,
    limits: config.proxyLimits,
  })
  cp.counters.watch(proxy.server)
  await listen(proxy.server, config.proxyListen, 'proxy', log)
}
if (config.statusListen) {
  const status = createStatusServer({
    state,
    role: 'traditional',
    redisConnected: () => false,
    controlPlaneReachable: () => true,
    extra: metricsRoute(() => scrape()),
  })
  cp.counters.watch(status)
  await listen(status, config.statusListen, 'status', log)
}
log.info(
  { database: cp.database.kind, dataDir: cp.database.kind === 'pglite' ? config.dataDir : undefined },
  'switchyard gateway started'
)

const shutdown = async () => {
  await health.stop()
  await plugins.close()
  await cp.close().catch(() => {})
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
