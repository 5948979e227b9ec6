// End to end, real processes: a control plane and 3 data planes sharing passive health counters
// through Redis. An upstream with passive http_failures=N has two healthy targets and one that
// answers 500. Load goes round-robin across the 3 data planes with a fixed number of requests in
// flight. The cluster, not each node, reaches the threshold: the failing target sees at most
// N + (requests in flight) requests in total, and afterwards no data plane sends it anything.
// (Kong counts per node: each of the 3 nodes would let N failures through, 3N in all.)

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TestCluster, runBounded, startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import { get, closeAgent } from './fixtures.js'

const N = 5
const IN_FLIGHT = 6
const REQUESTS = 600

const cluster = new TestCluster('health-passive')
const servers: UpstreamServer[] = []
let upstreamId = ''

after(() => closeAgent())


function serve(name: string, status: number): Promise<UpstreamServer> {
  return startUpstream(name, (_req, res) => {
    res.writeHead(status, { 'x-upstream': name, 'content-type': 'text/plain' })
    res.end(name)
  })
}

before(async () => {
  servers.push(await serve('good-1', 200), await serve('good-2', 200), await serve('bad', 500))
  await cluster.start(3)
  const admin = cluster.admin
  const u = await admin.ok<{ id: string }>('POST', '/upstreams', {
    name: 'passive.test',
    healthchecks: { passive: { unhealthy: { http_failures: N } } },
  })
  upstreamId = u.id
  for (const s of servers) await admin.ok('POST', '/upstreams/passive.test/targets', { target: s.address, weight: 100 })
  // No retries: a request that reaches the failing target is a failure the client sees.
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name: 'passive-svc', host: 'passive.test', retries: 0 })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: ['/passive'] })
  await cluster.waitForConvergence(5000)
})

after(async () => {
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close()))
})

test(`a failing target is ejected cluster-wide after ${N} failures in total, not ${N} per node`, { timeout: 30_000 }, async () => {
  const bad = servers[2]!
  const dps = cluster.dataPlanes
  const failuresByDp = dps.map(() => 0)
  const other: string[] = []
  let next = 0
  await runBounded(REQUESTS, IN_FLIGHT, async () => {
    const i = next++ % dps.length
    const r = await get(dps[i]!.proxyUrl, '/passive')
    if (r.status === 500 && r.upstream === 'bad') failuresByDp[i]!++
    else if (r.status !== 200) other.push(`${dps[i]!.name}: ${r.status}`)
  })
  const reached = bad.requests.length
  const total = failuresByDp.reduce((a, b) => a + b, 0)
  console.log(`# failing target reached ${reached} times in ${REQUESTS} requests (threshold ${N}, ${IN_FLIGHT} in flight); 500s by data plane: ${failuresByDp.join(', ')}`)

  assert.deepEqual(other, [], 'no other errors')
  assert.equal(total, reached, 'every request that reached it was a 500 for a client')
  assert.ok(reached >= N, `the cluster needs ${N} failures to eject (saw ${reached})`)
  assert.ok(reached <= N + IN_FLIGHT, `reached ${reached} times; at most threshold ${N} + ${IN_FLIGHT} in flight`)
  assert.ok(
    failuresByDp.filter((f) => f > 0).length >= 2,
    `failures were seen by several data planes (${failuresByDp.join(', ')}), so the count was shared`
  )
  assert.ok(Math.max(...failuresByDp) < N, `no single data plane saw ${N} failures on its own (${failuresByDp.join(', ')})`)

  // After ejection no data plane sends it anything, and the others take all the traffic.
  const before = bad.requests.length
  for (const dp of dps) {
    const seen: Record<string, number> = {}
    for (let k = 0; k < 30; k++) {
      const r = await get(dp.proxyUrl, '/passive')
      assert.equal(r.status, 200, `${dp.name} after ejection`)
      seen[r.upstream ?? '?'] = (seen[r.upstream ?? '?'] ?? 0) + 1
    }
    assert.deepEqual(Object.keys(seen).sort(), ['good-1', 'good-2'], `${dp.name}: ${JSON.stringify(seen)}`)
  }
  assert.equal(bad.requests.length, before, 'nothing reached the ejected target')

  // The control plane reads the same shared state.
  const health = await cluster.admin.ok<{ data: { target: string; health: string }[] }>('GET', `/upstreams/${upstreamId}/health`)
  const states = Object.fromEntries(health.data.map((t) => [t.target, t.health]))
  assert.deepEqual(states, { [servers[0]!.address]: 'HEALTHY', [servers[1]!.address]: 'HEALTHY', [bad.address]: 'UNHEALTHY' })
})

test('a manual PUT …/healthy on the control plane puts it back on every data plane; it is ejected again after N more failures', { timeout: 30_000 }, async () => {
  const bad = servers[2]!
  const dps = cluster.dataPlanes
  const r = await cluster.admin.request('PUT', `/upstreams/passive.test/targets/${bad.address}/healthy`)
  assert.equal(r.status, 204)
  const before = bad.requests.length
  // One request at a time, round-robin over the data planes: each of them sends to the target
  // again, until the cluster has counted N new failures.
  const failuresByDp = dps.map(() => 0)
  for (let i = 0; i < 90; i++) {
    const g = await get(dps[i % dps.length]!.proxyUrl, '/passive')
    if (g.upstream === 'bad') failuresByDp[i % dps.length]!++
  }
  const again = bad.requests.length - before
  assert.ok(failuresByDp.every((f) => f > 0), `every data plane used it again (${failuresByDp.join(', ')})`)
  assert.ok(again >= N && again <= N + 1, `reached ${again} times after the reset (threshold ${N}; one request in flight)`)
})
