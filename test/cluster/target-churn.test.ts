// Fault: constant config change under load. Twenty keep-alive clients send requests through
// one data plane for about 3 s while a third target is added and removed every 100 ms through
// the Admin API. The churned target's server stays up the whole time — this is about config
// changes, not dead servers — and the service has no retries, so any request that a change
// breaks shows up as a failure. Zero may fail.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TestCluster, sleep, startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import { ProxyLoad, proxiedRoute, proxyMany, stopBackgroundWork } from './fixtures.js'

const LOAD_MS = 3000
const CHURN_EVERY_MS = 100
const CLIENTS = 20

const cluster = new TestCluster('target-churn')
const servers: UpstreamServer[] = []

before(async () => {
  servers.push(await startUpstream('a'), await startUpstream('b'), await startUpstream('c'))
  await cluster.start(3)
})
after(async () => {
  await stopBackgroundWork()
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close()))
})

// Round-robin is the default; least-connections also holds a handle per request in flight,
// which must survive its target being removed underneath it.
for (const algorithm of ['round-robin', 'least-connections']) {
  test(`${algorithm}: a target added and removed every 100 ms under proxy load fails no request`, { timeout: 40_000 }, async () => {
    const admin = cluster.admin
    const name = `churn-${algorithm}`
    const route = await proxiedRoute(admin, name, servers.slice(0, 2))
    await admin.ok('PATCH', `/upstreams/${name}`, { algorithm })
    const churned = servers[2]!
    await cluster.waitForConvergence(3000)

    const dp = cluster.dataPlanes[0]!
    const load = new ProxyLoad(dp.proxyUrl, route.path, CLIENTS).start()
    const started = performance.now()
    let changes = 0
    let present = false
    const writeFailures: string[] = []
    let slowestWriteMs = 0
    // Fixed cadence: a change every 100 ms, never two at once.
    for (let tick = 1; performance.now() - started < LOAD_MS; tick++) {
      const t0 = performance.now()
      const r = present
        ? await admin.request('DELETE', `/upstreams/${name}/targets/${churned.address}`)
        : await admin.request('POST', `/upstreams/${name}/targets`, { target: churned.address, weight: 100 })
      if (r.status < 200 || r.status > 299) writeFailures.push(`${r.status} ${JSON.stringify(r.body)}`)
      present = !present
      changes++
      slowestWriteMs = Math.max(slowestWriteMs, performance.now() - t0)
      const wait = started + tick * CHURN_EVERY_MS - performance.now()
      if (wait > 0) await sleep(wait)
    }
    if (present) {
      await admin.ok('DELETE', `/upstreams/${name}/targets/${churned.address}`)
      changes++
    }
    // Keep the load on while the last removal propagates.
    await cluster.waitForConvergence(2000)
    await sleep(100)
    await load.stop()

    assert.deepEqual(writeFailures, [], 'every admin write answers 2xx')
    assert.ok(changes >= 15, `${changes} target changes in ${LOAD_MS} ms`)
    assert.equal(load.errorCount, 0, `connection errors: ${load.errors.join('; ')}`)
    assert.equal(load.failed, 0, `${load.failed} of ${load.total} requests failed: ${load.badAnswers.join('; ')}`)
    assert.ok(load.total > 300, `${load.total} requests under load`)
    assert.ok((load.byUpstream['c'] ?? 0) > 0, `the churned target took traffic while present: ${JSON.stringify(load.byUpstream)}`)
    assert.ok((load.byUpstream['a'] ?? 0) > 0 && (load.byUpstream['b'] ?? 0) > 0, JSON.stringify(load.byUpstream))

    // Removed means removed: no data plane sends it anything now.
    const before = churned.requests.length
    for (const d of cluster.dataPlanes) {
      const r = await proxyMany(d.proxyUrl, route.path, 30)
      assert.deepEqual(r.failures, [], d.name)
      assert.equal(r.byUpstream['c'] ?? 0, 0, `${d.name} no longer uses the removed target`)
    }
    assert.equal(churned.requests.length, before)
    console.log(
      `# churn (${algorithm}): ${load.total} requests from ${CLIENTS} clients (${JSON.stringify(load.byUpstream)}), ` +
        `${changes} target changes, slowest admin write ${Math.round(slowestWriteMs)} ms`
    )
  })
}
