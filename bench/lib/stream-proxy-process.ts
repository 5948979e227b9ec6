// Child process for `npm run bench:stream`: one Switchyard data plane, composed as
// apps/data-plane/src/main.ts composes it (proxy, prometheus recording, status listener with
// /metrics), with a global prometheus plugin whose `ai_metrics` is on, so every streamed
// response is tapped for its `usage` and counted in kong_ai_llm_tokens_total. One route `/`
// to one upstream holding the given targets. Alone in its process so /proc gives its CPU and
// memory. Sends `{ port, statusPort }` over IPC once listening; answers 'loop-delay' with
// `{ loopDelay: { p99Ms, maxMs } }`, its event-loop delay since the previous ask.

import { createLogger } from '@switchyard/log'
import { ConnectionCounters, KongMetrics } from '@switchyard/metrics'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { ConfigState } from '../../apps/data-plane/src/config-state.ts'
import { MetricsRecorder } from '../../apps/data-plane/src/metrics-recorder.ts'
import { metricsRoute } from '../../apps/data-plane/src/metrics-route.ts'
import { dataPlaneScrape } from '../../apps/data-plane/src/metrics-scrape.ts'
import { PluginResolver } from '../../apps/data-plane/src/plugin-resolver.ts'
import { createProxyServer } from '../../apps/data-plane/src/proxy-server.ts'
import { createStatusServer } from '../../apps/data-plane/src/status-server.ts'
import { fx, snapshotOf } from '../../apps/data-plane/src/test-fixtures.ts'

const backends = (process.argv[2] ?? '').split(',').filter((a) => a !== '')

const upstream = fx.upstream({ name: 'bench.providers', algorithm: 'round-robin' })
const targets = backends.map((address) => fx.target(upstream, { target: address }))
const service = fx.service({ name: 'llm', host: 'bench.providers', port: 80 })
const route = fx.route(service, { name: 'chat', paths: ['/'] })
const prometheus = {
  id: randomUUID(),
  name: 'prometheus',
  enabled: true,
  config: { ai_metrics: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true },
  route: null,
  service: null,
  consumer: null,
}

const state = new ConfigState({ now: () => performance.now(), random: Math.random })
state.loadSnapshot(
  snapshotOf({ upstreams: [upstream], targets, services: [service], routes: [route], plugins: [prometheus] })
)

const log = createLogger({ level: 'silent' })
const metrics = new KongMetrics({ nodeId: randomUUID() })
const plugins = new PluginResolver(state)
const recorder = new MetricsRecorder(metrics, plugins)
const connections = new ConnectionCounters()

let port = 0
const proxy = createProxyServer({
  state,
  log,
  port: () => port,
  onRequestEnd: recorder.onRequestEnd,
  responseTap: recorder.responseTap,
})
connections.watch(proxy.server)
await new Promise<void>((r) => proxy.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r))
port = (proxy.server.address() as AddressInfo).port

const status = createStatusServer({
  state,
  redisConnected: () => false,
  controlPlaneReachable: () => true,
  extra: metricsRoute(
    dataPlaneScrape({ metrics, state, plugins, health: () => undefined, connections: () => connections.stats() })
  ),
})
await new Promise<void>((r) => status.listen(0, '127.0.0.1', r))

// Sampled every 10 ms; the histogram holds whole intervals, so the sampling period comes off.
const LOOP_SAMPLE_MS = 10
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS })
loopDelay.enable()
const lateMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS)
process.on('message', (m) => {
  if (m !== 'loop-delay') return
  process.send?.({ loopDelay: { p99Ms: lateMs(loopDelay.percentile(99)), maxMs: lateMs(loopDelay.max) } })
  loopDelay.reset()
})

process.send?.({ port, statusPort: (status.address() as AddressInfo).port })
process.on('disconnect', () => process.exit(0))
// A clean exit, so that --cpu-prof / --heap-prof (BENCH_PROXY_NODE_FLAGS) write their files.
process.on('SIGTERM', () => process.exit(0))
