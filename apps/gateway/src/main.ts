// `npm start`: control plane and data plane in one process, on PGlite in ./.data unless
// DATABASE_URL / KONG_PG_* point at Postgres.

import { adminExposureWarning, createControlPlane } from '@switchyard/control-plane'
import {
  aiMetricEvents,
  AiRuntime,
  ConfigState,
  createPluginAccess,
  createProxyServer,
  createStatusServer,
  dataPlaneScrape,
  listenTls,
  MetricsRecorder,
  metricsRoute,
  PluginResolver,
  startHealth,
} from '@switchyard/data-plane'
import { MemoryAiStore, MemoryHealthStore, MemoryLease } from '@switchyard/health'
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
// … and the AI-aware balancing state (cooldowns, provider windows, budgets).
const aiStore = new MemoryAiStore()
// One node, one registry: the Admin API's and the status listener's /metrics print the same
// scrape, request metrics of the in-process data plane included.
const nodeId = randomUUID()
const metrics = new KongMetrics({ nodeId })
let scrape: () => Promise<string> = async () => ''
const cp = await createControlPlane({
  nodeId,
  healthStore,
  aiStore,
  metricsScrape: () => scrape(),
  databaseUrl: config.databaseUrl,
  postgres: config.postgres,
  dataDir: config.dataDir,
  log,
  configuration: config.configuration,
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
const ai = new AiRuntime({ state, store: aiStore, log, events: aiMetricEvents(metrics) })
await ai.start()
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
if (config.proxyListen || config.proxySslListen.length > 0) {
  const listenPort = config.proxyListen?.port ?? 0
  const proxy = createProxyServer({
    state,
    log,
    port: () => listenPort,
    onAttempt: (a) => health.record(a),
    ai,
    access: plugins.access,
    onRequestEnd: recorder.onRequestEnd,
    responseTap: recorder.responseTap,
    limits: config.proxyLimits,
  })
  cp.counters.watch(proxy.server)
  if (config.proxyListen) await listen(proxy.server, config.proxyListen, 'proxy', log)
  await listenTls({
    proxy,
    state,
    listens: config.proxySslListen,
    defaultCertificate: config.sslCertificate,
    log,
    watch: (server) => cp.counters.watch(server),
  })
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
  ai.stop()
  await plugins.close()
  await cp.close().catch(() => {})
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
