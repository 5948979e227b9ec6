// Child process: the Switchyard data plane proxying round-robin to the given backends, alone in
// its process so its CPU time can be read from /proc. Wired as apps/data-plane/src/main.ts
// wires it (passive health and AI runtime on node-local memory stores, as without Redis; the
// plugins' access phase, the prometheus log phase and response tap), with
// `prometheus` as second argument a global prometheus plugin with every switch on; without it
// no plugin is configured. Sends `{ port }` over IPC once listening.
// BENCH_PROXY_MODULE may name another module exporting `createProxyServer` (a local experiment
// copy under bench/experiments/) to measure a hot-path change without touching the app.

import { createLogger } from '@switchyard/log'
import { MemoryAiStore, MemoryHealthStore, MemoryLease } from '@switchyard/health'
import { KongMetrics } from '@switchyard/metrics'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { AiRuntime } from '../../apps/data-plane/src/ai-runtime.ts'
import { ConfigState } from '../../apps/data-plane/src/config-state.ts'
import { startHealth } from '../../apps/data-plane/src/health-runtime.ts'
import { MetricsRecorder } from '../../apps/data-plane/src/metrics-recorder.ts'
import { PluginResolver } from '../../apps/data-plane/src/plugin-resolver.ts'
import { createPluginAccess } from '../../apps/data-plane/src/plugins/access.ts'
import type { createProxyServer as CreateProxyServer } from '../../apps/data-plane/src/proxy-server.ts'
import { fx, snapshotOf } from '../../apps/data-plane/src/test-fixtures.ts'

const backends = (process.argv[2] ?? '').split(',').filter((a) => a !== '')
const withPrometheus = process.argv[3] === 'prometheus'
const modulePath = process.env['BENCH_PROXY_MODULE']
const mod = (await import(
  modulePath ? pathToFileURL(resolve(modulePath)).href : '../../apps/data-plane/src/proxy-server.ts'
)) as { createProxyServer: typeof CreateProxyServer }

const upstream = fx.upstream({ name: 'bench.backends', algorithm: 'round-robin' })
const targets = backends.map((address) => fx.target(upstream, { target: address }))
const service = fx.service({ name: 'bench', host: 'bench.backends', port: 80 })
const route = fx.route(service, { name: 'bench', paths: ['/'] })
const plugins = withPrometheus
  ? [
      {
        id: randomUUID(),
        name: 'prometheus',
        enabled: true,
        config: {
          per_consumer: true,
          status_code_metrics: true,
          latency_metrics: true,
          bandwidth_metrics: true,
          upstream_health_metrics: true,
          ai_metrics: true,
        },
        route: null,
        service: null,
        consumer: null,
      },
    ]
  : []

const state = new ConfigState({ now: () => performance.now(), random: Math.random })
state.loadSnapshot(snapshotOf({ upstreams: [upstream], targets, services: [service], routes: [route], plugins }))

const log = createLogger({ level: 'silent' })
const nodeId = randomUUID()
const health = await startHealth({ state, store: new MemoryHealthStore(), lease: new MemoryLease(), nodeId, log })
const ai = new AiRuntime({ state, store: new MemoryAiStore(), log })
await ai.start()
const recorder = new MetricsRecorder(new KongMetrics({ nodeId }), new PluginResolver(state))
const access = createPluginAccess({ state, log })
let port = 0
const proxy = mod.createProxyServer({
  state,
  log,
  port: () => port,
  onAttempt: (a) => health.record(a),
  ai,
  access: access.access,
  onRequestEnd: recorder.onRequestEnd,
  responseTap: recorder.responseTap,
})
proxy.server.keepAliveTimeout = 120_000
await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r))
port = (proxy.server.address() as AddressInfo).port
process.send?.({ port })
process.on('disconnect', () => process.exit(0))
// With --cpu-prof the profile is written on a normal exit only.
process.on('SIGTERM', () => process.exit(0))
