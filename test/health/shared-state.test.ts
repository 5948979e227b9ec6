// End to end, real processes: the health state set on the control plane's Admin API is the state
// every data plane routes by. `PUT …/unhealthy` stops all 3 data planes sending to the target
// (observed through proxied traffic), `…/healthy` brings it back; upstream changes (slots,
// algorithm) and a new target do not reset it; a data plane that restarts — or one that joins
// later — starts from the shared state, not from "everything healthy" as a restarted Kong node does.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TestCluster, startUpstream, waitFor, type DataPlaneProcess, type UpstreamServer } from '@switchyard/test-kit'
import { get, spread, closeAgent } from './fixtures.js'

const cluster = new TestCluster('health-shared')
const servers: UpstreamServer[] = []


/** Which servers `n` sequential requests through one data plane reached. */
const spreadAt = (dp: DataPlaneProcess, n: number) => spread(dp.proxyUrl, '/shared', n)

const names = (seen: Record<string, number>) => Object.keys(seen).sort()
const address = (name: string) => servers.find((s) => s.name === name)!.address

async function cpHealth(): Promise<Record<string, string>> {
  const body = await cluster.admin.ok<{ data: { target: string; health: string }[] }>('GET', '/upstreams/shared.test/health')
  return Object.fromEntries(body.data.map((t) => [t.target, t.health]))
}

before(async () => {
  for (const n of ['a', 'b', 'c', 'd']) servers.push(await startUpstream(n))
  await cluster.start(3)
  const admin = cluster.admin
  // Passive checks on (so the state applies) with nothing that could fail on its own.
  await admin.ok('POST', '/upstreams', { name: 'shared.test', healthchecks: { passive: { unhealthy: { http_failures: 3 } } } })
  for (const n of ['a', 'b', 'c']) await admin.ok('POST', '/upstreams/shared.test/targets', { target: address(n) })
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name: 'shared-svc', host: 'shared.test', retries: 0 })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: ['/shared'] })
  await cluster.waitForConvergence(5000)
})

after(async () => {
  closeAgent()
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close()))
})

test('PUT …/unhealthy on the control plane: all data planes stop sending to the target; …/healthy: all resume', { timeout: 20_000 }, async () => {
  for (const dp of cluster.dataPlanes) assert.deepEqual(names(await spreadAt(dp, 9)), ['a', 'b', 'c'], `${dp.name} before`)

  const c = servers.find((s) => s.name === 'c')!
  let r = await cluster.admin.request('PUT', `/upstreams/shared.test/targets/${c.address}/unhealthy`)
  assert.equal(r.status, 204)
  const setAt = performance.now()
  const proxiedAtSet = c.requests.length
  // The flip reaches every data plane over Redis pub/sub, not on a polling interval.
  await waitFor(
    'every data plane to stop sending to c',
    async () => {
      for (const dp of cluster.dataPlanes) if ((await spreadAt(dp, 3))['c']) return false
      return true
    },
    2000,
    { intervalMs: 5 }
  )
  console.log(`# all data planes avoid c ${Math.round(performance.now() - setAt)} ms after PUT …/unhealthy`)
  const baseline = c.requests.length
  for (const dp of cluster.dataPlanes) assert.deepEqual(await spreadAt(dp, 30), { a: 15, b: 15 }, `${dp.name} after PUT …/unhealthy`)
  assert.equal(c.requests.length, baseline, 'nothing reached c')
  assert.ok(baseline - proxiedAtSet <= 3, `at most one request per data plane raced the flip (${baseline - proxiedAtSet})`)
  assert.equal((await cpHealth())[c.address], 'UNHEALTHY')

  r = await cluster.admin.request('PUT', `/upstreams/shared.test/targets/${c.address}/healthy`)
  assert.equal(r.status, 204)
  await waitFor(
    'every data plane to use c again',
    async () => {
      for (const dp of cluster.dataPlanes) if (!(await spreadAt(dp, 3))['c']) return false
      return true
    },
    2000,
    { intervalMs: 5 }
  )
  for (const dp of cluster.dataPlanes) assert.deepEqual(await spreadAt(dp, 30), { a: 10, b: 10, c: 10 }, `${dp.name} after PUT …/healthy`)
})

test('upstream PATCHes (slots, algorithm) and a new target do not reset an unhealthy target', { timeout: 20_000 }, async () => {
  const c = address('c')
  assert.equal((await cluster.admin.request('PUT', `/upstreams/shared.test/targets/${c}/unhealthy`)).status, 204)
  await waitFor('c to be avoided everywhere', async () => {
    for (const dp of cluster.dataPlanes) if ((await spreadAt(dp, 3))['c']) return false
    return true
  }, 2000)

  await cluster.admin.ok('PATCH', '/upstreams/shared.test', { slots: 500 })
  await cluster.admin.ok('PATCH', '/upstreams/shared.test', { algorithm: 'least-connections' })
  await cluster.admin.ok('POST', '/upstreams/shared.test/targets', { target: address('d') })
  await cluster.admin.ok('PATCH', `/upstreams/shared.test/targets/${address('a')}`, { weight: 50 })
  await cluster.waitForConvergence(5000)

  // Least-connections with one request at a time favours the heaviest targets: only check
  // that c gets nothing and every request succeeds.
  for (const dp of cluster.dataPlanes) {
    const seen = await spreadAt(dp, 30)
    assert.ok(!('c' in seen) && names(seen).every((n) => ['a', 'b', 'd'].includes(n)), `${dp.name} after the changes: ${JSON.stringify(seen)}`)
  }
  const h = await cpHealth()
  assert.equal(h[c], 'UNHEALTHY')
  assert.equal(h[address('d')], 'HEALTHY', 'the new target starts healthy')

  await cluster.admin.ok('PATCH', '/upstreams/shared.test', { algorithm: 'round-robin', healthchecks: { threshold: 10 } })
  await cluster.waitForConvergence(5000)
  for (const dp of cluster.dataPlanes) assert.deepEqual(names(await spreadAt(dp, 12)), ['a', 'b', 'd'], `${dp.name} back on round-robin`)
})

test('a data plane restarted after SIGKILL, and one that joins later, start from the shared state', { timeout: 30_000 }, async () => {
  const c = servers.find((s) => s.name === 'c')!
  assert.equal((await cpHealth())[c.address], 'UNHEALTHY', 'still unhealthy from the previous test')
  const victim = cluster.dataPlanes[1]!
  await victim.kill()
  const restarted = await cluster.restartDataPlane(victim)
  const joined = await cluster.addDataPlane()
  await cluster.waitForConvergence(5000)
  const before = c.requests.length
  for (const dp of [restarted, joined]) {
    const seen = await spreadAt(dp, 30)
    assert.deepEqual(names(seen), ['a', 'b', 'd'], `${dp.name}: ${JSON.stringify(seen)}`)
  }
  assert.equal(c.requests.length, before, 'the fresh processes never sent to c')

  // And they follow later flips like the others.
  assert.equal((await cluster.admin.request('PUT', `/upstreams/shared.test/targets/${c.address}/healthy`)).status, 204)
  await waitFor('every data plane, old and new, to use c again', async () => {
    for (const dp of cluster.dataPlanes) if (!(await spreadAt(dp, 4))['c']) return false
    return true
  }, 2000)
  assert.equal(cluster.dataPlanes.length, 4)
})
