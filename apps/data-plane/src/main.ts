// Data plane process (KONG_ROLE=data_plane): proxy on KONG_PROXY_LISTEN, status on
// KONG_STATUS_LISTEN, config from the control plane at KONG_CLUSTER_CONTROL_PLANE.

import { createLogger } from '@switchyard/log'
import { ConnectionCounters, KongMetrics } from '@switchyard/metrics'
import type http from 'node:http'
import { loadDataPlaneConfig } from './config.js'
import { DataPlaneNode } from './data-plane-node.js'
import { MetricsRecorder } from './metrics-recorder.js'
import { metricsRoute } from './metrics-route.js'
import { dataPlaneScrape } from './metrics-scrape.js'
import { PluginResolver } from './plugin-resolver.js'
import { createProxyServer } from './proxy-server.js'
import { createStatusServer } from './status-server.js'

const config = loadDataPlaneConfig()
const log = createLogger({ level: config.logLevel, bindings: { app: 'data-plane' } })
const node = new DataPlaneNode(config, log)
await node.start()

function listen(server: http.Server, where: { host: string; port: number }, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(where.port, where.host, () => {
      log.info({ host: where.host, port: where.port }, `${what} listening on http://${where.host}:${where.port}`)
      resolve()
    })
  })
}

// This node's own metrics (Kong's status API /metrics): one registry per data plane.
const metrics = new KongMetrics({ nodeId: node.nodeId })
const metricsPlugins = new PluginResolver(node.state)
const recorder = new MetricsRecorder(metrics, metricsPlugins)
const connections = new ConnectionCounters()

const proxy = createProxyServer({
  state: node.state,
  log,
  port: () => config.proxyListen.port,
  onAttempt: (a) => node.health?.record(a),
  access: node.plugins.access,
  onRequestEnd: recorder.onRequestEnd,
  responseTap: recorder.responseTap,
})
connections.watch(proxy.server)
await listen(proxy.server, config.proxyListen, 'proxy')
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
  await listen(status, config.statusListen, 'status')
}
log.info({ version: node.state.version }, 'data plane started')

const shutdown = async () => {
  await node.close()
  await proxy.close()
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
