// The Admin API's GET /metrics on a control plane of its own (no traffic): node gauges always,
// target health from the shared health store when an enabled prometheus instance asks for it,
// and the newest config version.

import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { createControlPlane, type ControlPlane } from '../control-plane.js'

let cp: ControlPlane
let server: http.Server
let base: string

before(async () => {
  cp = await createControlPlane({ databaseUrl: undefined, log: createLogger({ level: 'silent' }), healthStore: new MemoryHealthStore() })
  server = http.createServer(cp.app)
  cp.counters.watch(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
  await cp.close()
})

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

async function metrics(): Promise<string> {
  const res = await fetch(`${base}/metrics`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8')
  assert.equal(res.headers.get('server'), 'kong/3.9.3')
  return res.text()
}

const health = (text: string) => text.split('\n').filter((l) => l.startsWith('kong_upstream_target_health{'))

test('without a prometheus instance: node gauges only, listed in /endpoints, HEAD has no body', async () => {
  const text = await metrics()
  assert.match(text, new RegExp(`^kong_node_info\\{node_id="${cp.nodeId}",version="3.9.3"\\} 1$`, 'm'))
  assert.match(text, /^kong_datastore_reachable 1$/m)
  assert.match(text, /^kong_nginx_connections_total\{node_id="[^"]+",subsystem="http",state="accepted"\} [1-9]\d*$/m)
  assert.match(text, /^kong_memory_lua_shared_dict_bytes\{/m)
  assert.ok(!text.includes('kong_nginx_metric_errors_total'))
  const head = await fetch(`${base}/metrics`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(await head.text(), '')
  const endpoints = (await call('GET', '/endpoints')).body as { data: string[] }
  assert.ok(endpoints.data.includes('/metrics'))
})

test('target health from the shared store, config version of the newest commit; gone when disabled', async () => {
  assert.equal((await call('POST', '/upstreams', { name: 'checked', healthchecks: { active: { healthy: { interval: 5 } } } })).status, 201)
  assert.equal((await call('POST', '/upstreams/checked/targets', { target: '127.0.0.1:9001' })).status, 201)
  assert.equal((await call('POST', '/upstreams/checked/targets', { target: '127.0.0.1:9002', weight: 0 })).status, 201)
  assert.equal((await call('PUT', '/upstreams/checked/targets/127.0.0.1:9001/unhealthy')).status, 204)
  assert.equal((await call('POST', '/upstreams', { name: 'unchecked' })).status, 201)
  assert.equal((await call('POST', '/upstreams/unchecked/targets', { target: '127.0.0.1:9003' })).status, 201)
  const plugin = await call('POST', '/plugins', { name: 'prometheus', config: { upstream_health_metrics: true } })
  assert.equal(plugin.status, 201)

  let text = await metrics()
  const ones = health(text).filter((l) => l.endsWith(' 1'))
  assert.equal(health(text).length, 12)
  assert.deepEqual(ones.sort(), [
    'kong_upstream_target_health{upstream="checked",target="127.0.0.1:9001",address="127.0.0.1:9001",state="unhealthy",subsystem="http"} 1',
    'kong_upstream_target_health{upstream="checked",target="127.0.0.1:9002",address="127.0.0.1:9002",state="healthchecks_off",subsystem="http"} 1',
    'kong_upstream_target_health{upstream="unchecked",target="127.0.0.1:9003",address="127.0.0.1:9003",state="healthchecks_off",subsystem="http"} 1',
  ])
  assert.match(text, /^kong_nginx_metric_errors_total 0$/m)
  const latest = await cp.store.latestVersion()
  assert.match(text, new RegExp(`^switchyard_config_version ${latest}$`, 'm'))
  assert.match(text, /^switchyard_config_hash_info\{config_hash="[0-9a-f]+"\} 1$/m)

  // A deleted target's series vanish.
  assert.equal((await call('DELETE', '/upstreams/unchecked/targets/127.0.0.1:9003')).status, 204)
  assert.equal(health(await metrics()).length, 8)

  assert.equal((await call('PATCH', `/plugins/${plugin.body.id}`, { enabled: false })).status, 200)
  text = await metrics()
  assert.equal(health(text).length, 0)
  assert.ok(!text.includes('kong_nginx_metric_errors_total'))
  assert.match(text, /^kong_node_info\{/m)
})

test('a cluster control plane (role control_plane) leaves target health to the data planes', async () => {
  const cluster = await createControlPlane({
    databaseUrl: undefined,
    log: createLogger({ level: 'silent' }),
    healthStore: new MemoryHealthStore(),
    role: 'control_plane',
  })
  const srv = http.createServer(cluster.app)
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  try {
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    assert.equal((await post('/upstreams', { name: 'u' })).status, 201)
    assert.equal((await post('/upstreams/u/targets', { target: '127.0.0.1:9001' })).status, 201)
    assert.equal((await post('/plugins', { name: 'prometheus', config: { upstream_health_metrics: true } })).status, 201)
    const text = await (await fetch(`${url}/metrics`)).text()
    assert.deepEqual(health(text), [])
    assert.ok(!text.includes('kong_upstream_target_health'), 'not even the HELP/TYPE lines')
    assert.match(text, /^kong_node_info\{/m)
    assert.match(text, /^switchyard_config_version \d+$/m)
  } finally {
    srv.closeAllConnections()
    await new Promise<void>((r) => srv.close(() => r()))
    await cluster.close()
  }
})
