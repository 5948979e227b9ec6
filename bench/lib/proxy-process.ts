// Child process: the Switchyard data plane proxying round-robin to the given backends, alone in
// its process so its CPU time can be read from /proc. Sends `{ port }` over IPC once listening.
// BENCH_PROXY_MODULE may name another module exporting `createProxyServer` (a local experiment
// copy under bench/experiments/) to measure a hot-path change without touching the app.

import { createLogger } from '@switchyard/log'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { ConfigState } from '../../apps/data-plane/src/config-state.ts'
import type { createProxyServer as CreateProxyServer } from '../../apps/data-plane/src/proxy-server.ts'
import { fx, snapshotOf } from '../../apps/data-plane/src/test-fixtures.ts'

const backends = (process.argv[2] ?? '').split(',').filter((a) => a !== '')
const modulePath = process.env['BENCH_PROXY_MODULE']
const mod = (await import(
  modulePath ? pathToFileURL(resolve(modulePath)).href : '../../apps/data-plane/src/proxy-server.ts'
)) as { createProxyServer: typeof CreateProxyServer }

const upstream = fx.upstream({ name: 'bench.backends', algorithm: 'round-robin' })
const targets = backends.map((address) => fx.target(upstream, { target: address }))
const service = fx.service({ host: 'bench.backends', port: 80 })
const route = fx.route(service, { paths: ['/'] })

const state = new ConfigState({ now: () => performance.now(), random: Math.random })
state.loadSnapshot(snapshotOf({ upstreams: [upstream], targets, services: [service], routes: [route] }))

let port = 0
const proxy = mod.createProxyServer({ state, log: createLogger({ level: 'silent' }), port: () => port })
proxy.server.keepAliveTimeout = 120_000
await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r))
port = (proxy.server.address() as AddressInfo).port
process.send?.({ port })
process.on('disconnect', () => process.exit(0))
