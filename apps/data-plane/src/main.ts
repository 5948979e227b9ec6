// Data plane process (KONG_ROLE=data_plane): proxy on KONG_PROXY_LISTEN, status on
// KONG_STATUS_LISTEN, config from the control plane at KONG_CLUSTER_CONTROL_PLANE.

import { createLogger } from '@switchyard/log'
import { ConnectionCounters, KongMetrics } from '@switchyard/metrics'
import { loadDataPlaneConfig } from './config.js'
import { DataPlaneNode } from './data-plane-node.js'
import { aiMetricEvents, MetricsRecorder } from './metrics-recorder.js'
import { metricsRoute } from './metrics-route.js'
import { dataPlaneScrape } from './metrics-scrape.js'
import { PluginResolver } from './plugin-resolver.js'
import { createProxyServer } from './proxy-server.js'
import { createStatusServer } from './status-server.js'
import { listenTls } from './tls-proxy-server.js'
import { listen } from '@switchyard/server'

const config = (() => {
  try {
    return loadDataPlaneConfig()
  } catch (err) {
    // A configuration mistake is one clear line, not a stack trace.
    createLogger({ bindings: { app: 'data-plane' } }).fatal({}, (err as Error).message)
    process.exit(1)
  }
})()
const log = createLogger({ level: config.logLevel, bindings: { app: 'data-plane' } })
const node = new DataPlaneNode(config, log)
await node.start()


// This node's own metrics (Kong's status API /metrics): one registry per data plane.
const metrics = new KongMetrics({ nodeId: node.nodeId })
const metricsPlugins = new PluginResolver(node.state)
const recorder = new MetricsRecorder(metrics, metricsPlugins)
const connections = new ConnectionCounters()
node.ai.events = aiMetricEvents(metrics)

const proxy = createProxyServer({
  state: node.state,
  log,
  port: () => config.proxyListen?.port ?? 0,
  onAttempt: (a) => node.health?.record(a),
  ai: node.ai,
  access: node.plugins.access,
  onRequestEnd: recorder.onRequestEnd,
  responseTap: recorder.responseTap,
  limits: config.proxyLimits,
})
connections.watch(proxy.server)
if (config.proxyListen) await listen(proxy.server, config.proxyListen, 'proxy', log)
await listenTls({
  proxy,
  state: node.state,
  listens: config.proxySslListen,
  defaultCertificate: config.sslCertificate,
  log,
  watch: (server) => connections.watch(server),
})
if (config.statusListen) {
  const status = createStatusServer({
    state: node.state,
    redisConnected: () => node.redisConnected,
    controlPlaneReachable: () => node.controlPlaneReachable,
    extra: metricsRoute(
      dataPlaneScrape({
        metrics,
        state: node.state,
        plugins: metricsPlugins,
        health: () => node.health?.view,
        connections: () => connections.stats(),
        controlPlaneConnected: () => node.controlPlaneReachable,
      })
    ),
  })
  connections.watch(status)
  await listen(status, config.statusListen, 'status', log)
}
log.info({ version: node.state.version }, 'data plane started')

const shutdown = async () => {
  await node.close()
  await proxy.close()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
