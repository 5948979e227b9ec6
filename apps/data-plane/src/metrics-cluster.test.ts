// Cluster mode, end to end (real control plane, Redis, Postgres and two data plane processes):
// each data plane's status listener serves its own request metrics and target health (from the
// shared health state), while the control plane's Admin API serves the newest config version
// and no target health: as in Kong, only nodes that proxy report it.

import { startUpstream, TestCluster, waitFor, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

let cluster: TestCluster
let server: UpstreamServer

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8')
  return res.text()
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

const state = (text: string, target: string) =>
  text.split('\n').find((l) => l.startsWith('kong_upstream_target_health{') && l.includes(`target="${target}"`) && l.endsWith(' 1'))?.match(/state="([a-z_]+)"/)?.[1]

before(async () => {
  server = await startUpstream('m')
  cluster = new TestCluster('metrics')
  await cluster.start(2)
  const admin = cluster.admin
  await admin.ok('POST', '/upstreams', { name: 'm-up', healthchecks: { active: { healthy: { interval: 5 }, unhealthy: { interval: 5 } } } })
  await admin.ok('POST', '/upstreams/m-up/targets', { target: server.address })
  await admin.ok('POST', '/services', { name: 'm-svc', host: 'm-up' })
  await admin.ok('POST', '/services/m-svc/routes', { name: 'm-route', paths: ['/m'] })
  await admin.ok('POST', '/plugins', {
    name: 'prometheus',
    config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true },
  })
  await cluster.waitForConvergence(15_000)
})

after(async () => {
  await cluster?.cleanup()
  await server?.close()
})

test('each data plane serves its own request metrics and target health; the control plane its version', async () => {
  const [dp1, dp2] = cluster.dataPlanes as [NonNullable<(typeof cluster.dataPlanes)[0]>, NonNullable<(typeof cluster.dataPlanes)[0]>]
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${dp1.proxyUrl}/m`)).status, 200)
  assert.equal((await fetch(`${dp2.proxyUrl}/m`)).status, 200)

  const cpStatus = await cluster.control.status()
  const [one, two, cp] = await Promise.all([metrics(dp1.statusUrl), metrics(dp2.statusUrl), metrics(cluster.control.adminUrl)])
  assert.equal(value(one, 'kong_http_requests_total', { route: 'm-route', code: '200' }), 3)
  assert.equal(value(two, 'kong_http_requests_total', { route: 'm-route', code: '200' }), 1)
  assert.equal(value(cp, 'kong_http_requests_total'), undefined, 'the control plane proxies nothing')
  for (const text of [one, two, cp]) {
    assert.equal(value(text, 'switchyard_config_version'), cpStatus.config_version)
    assert.equal(value(text, 'switchyard_config_hash_info', { config_hash: cpStatus.config_hash }), 1)
    assert.equal(value(text, 'kong_nginx_metric_errors_total'), 0)
  }
  for (const text of [one, two]) assert.equal(state(text, server.address), 'healthy')
  assert.equal(state(cp, server.address), undefined, 'no kong_upstream_target_health on the control plane')
  assert.ok(!cp.includes('kong_upstream_target_health'))
  assert.equal(value(one, 'kong_control_plane_connected'), 1)
  assert.equal(value(cp, 'kong_control_plane_connected'), undefined)
  assert.equal(value(cp, 'kong_datastore_reachable'), 1)
  const nodeOf = (text: string) => /^kong_node_info\{node_id="([^"]+)"/m.exec(text)?.[1]
  assert.equal(new Set([nodeOf(one), nodeOf(two), nodeOf(cp)]).size, 3, 'one node id per node')

  // A manual override lands in the shared state: every data plane reports it.
  await cluster.admin.ok('PUT', `/upstreams/m-up/targets/${server.address}/unhealthy`)
  for (const dp of [dp1, dp2]) {
    await waitFor(`${dp.name} to report the target unhealthy`, async () => state(await metrics(dp.statusUrl), server.address) === 'unhealthy', 10_000)
  }
})
