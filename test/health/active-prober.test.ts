// End to end, real processes: active health checks run once per cluster. Data plane 1 starts
// alone and takes the upstream's probe lease; two more join. The targets' health path then sees
// about one probe per interval, not three. Probe results go through the shared counters, so a
// target whose health path fails is ejected on every data plane and comes back on every one
// when it recovers. When the lease holder is SIGKILLed another data plane takes over within two
// intervals.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TestCluster, sleep, startUpstream, waitFor, type UpstreamServer } from '@switchyard/test-kit'
import { get, spread, closeAgent } from './fixtures.js'

const INTERVAL_S = 1
const INTERVAL_MS = INTERVAL_S * 1000
/** What the lease key is named in Redis (RedisLease's default prefix + the prober's lease name). */
const leaseKey = (upstreamId: string) => `switchyard:lease:probe:${upstreamId}`

const cluster = new TestCluster('health-active')
let upstreamId = ''

interface ProbedServer {
  server: UpstreamServer
  /** Arrival times (performance.now()) of requests to the health path. */
  probes: number[]
  /** Proxied (non-probe) requests. */
  proxied: () => number
  /** Status the health path answers. */
  healthStatus: number
}

const targets: ProbedServer[] = []

async function probed(name: string): Promise<ProbedServer> {
  const t: ProbedServer = { server: undefined as unknown as UpstreamServer, probes: [], proxied: () => 0, healthStatus: 200 }
  t.server = await startUpstream(name, (req, res) => {
    if (req.url === '/health') {
      t.probes.push(performance.now())
      res.writeHead(t.healthStatus)
      res.end()
      return
    }
    res.writeHead(200, { 'x-upstream': name })
    res.end(name)
  })
  t.proxied = () => t.server.requests.filter((r) => r.url !== '/health').length
  return t
}



/** Which servers `n` sequential requests through one data plane reached. */
const spreadAt = (base: string, n: number) => spread(base, '/active', n)

async function cpHealth(): Promise<Record<string, string>> {
  const body = await cluster.admin.ok<{ data: { target: string; health: string }[] }>('GET', `/upstreams/${upstreamId}/health`)
  return Object.fromEntries(body.data.map((t) => [t.target, t.health]))
}

before(async () => {
  targets.push(await probed('a'), await probed('b'))
  await cluster.start(1)
  const admin = cluster.admin
  const u = await admin.ok<{ id: string }>('POST', '/upstreams', {
    name: 'active.test',
    healthchecks: {
      active: {
        http_path: '/health',
        timeout: 1,
        healthy: { interval: INTERVAL_S, successes: 2 },
        unhealthy: { interval: INTERVAL_S, http_failures: 2 },
      },
    },
  })
  upstreamId = u.id
  for (const t of targets) await admin.ok('POST', '/upstreams/active.test/targets', { target: t.server.address })
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name: 'active-svc', host: 'active.test', retries: 0 })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: ['/active'] })
  await cluster.waitForConvergence(5000)
  // Data plane 1 alone: it takes the lease and probes; the other two join while it holds it.
  await waitFor('data plane 1 to probe', () => targets.every((t) => t.probes.length > 0), 3 * INTERVAL_MS)
  assert.ok(await cluster.redisServer.command('GET', leaseKey(upstreamId)), 'the lease is held')
  await Promise.all([cluster.addDataPlane(), cluster.addDataPlane()])
  await cluster.waitForConvergence(5000)
})

after(async () => {
  closeAgent()
  await cluster.cleanup()
  await Promise.all(targets.map((t) => t.server.close()))
})

test('with 3 data planes, each target is probed about once per interval, not 3 times', { timeout: 20_000 }, async () => {
  // Let the newcomers tick a few times first: they would probe at once if they could.
  await sleep(INTERVAL_MS)
  const from = performance.now()
  const counts = targets.map((t) => t.probes.length)
  await sleep(4 * INTERVAL_MS + 200)
  const got = targets.map((t, i) => t.probes.length - counts[i]!)
  console.log(`# probes in ${Math.round(performance.now() - from)} ms at ${INTERVAL_S} s interval with 3 data planes: ${got.join(', ')}`)
  for (const n of got) assert.ok(n >= 3 && n <= 6, `probes per target in ~4 intervals: ${n} (3 probers would give ~12)`)
})

test('a failing health path ejects the target on every data plane; recovery brings it back on every one', { timeout: 20_000 }, async () => {
  const b = targets[1]!
  b.healthStatus = 500
  const failedAt = performance.now()
  await waitFor('the control plane to report b UNHEALTHY', async () => (await cpHealth())[b.server.address] === 'UNHEALTHY', 4 * INTERVAL_MS)
  console.log(`# b unhealthy ${Math.round(performance.now() - failedAt)} ms after its health path started failing (2 failures at ${INTERVAL_S} s)`)
  const proxiedBefore = b.proxied()
  for (const dp of cluster.dataPlanes) assert.deepEqual(await spreadAt(dp.proxyUrl, 12), { a: 12 }, `${dp.name} avoids b`)
  assert.equal(b.proxied(), proxiedBefore, 'no proxied request reached b')

  b.healthStatus = 200
  await waitFor('the control plane to report b HEALTHY', async () => (await cpHealth())[b.server.address] === 'HEALTHY', 4 * INTERVAL_MS)
  for (const dp of cluster.dataPlanes) assert.deepEqual(await spreadAt(dp.proxyUrl, 12), { a: 6, b: 6 }, `${dp.name} uses b again`)
})

test('the lease holder SIGKILLed: another data plane takes over within two intervals', { timeout: 20_000 }, async () => {
  const a = targets[0]!
  const holderBefore = await cluster.redisServer.command('GET', leaseKey(upstreamId))
  assert.ok(holderBefore, 'someone holds the lease')
  // Data plane 1 took the lease while alone and has renewed it ever since.
  const holder = cluster.dataPlanes[0]!
  await holder.kill()
  const killedAt = performance.now()
  const firstProbe = await waitFor(
    'a probe from another data plane',
    () => a.probes.find((t) => t > killedAt),
    4 * INTERVAL_MS,
    { intervalMs: 10 }
  )
  const takeoverMs = firstProbe - killedAt
  const holderAfter = await cluster.redisServer.command('GET', leaseKey(upstreamId))
  console.log(`# first probe ${Math.round(takeoverMs)} ms after the holder was killed (interval ${INTERVAL_MS} ms)`)
  assert.ok(holderAfter && holderAfter !== holderBefore, 'the lease moved to another node')
  assert.ok(takeoverMs <= 2 * INTERVAL_MS, `took over after ${Math.round(takeoverMs)} ms; limit two intervals (${2 * INTERVAL_MS} ms)`)

  // The two survivors still probe once per interval between them, and keep proxying.
  const count = a.probes.length
  await sleep(3 * INTERVAL_MS + 200)
  const n = a.probes.length - count
  assert.ok(n >= 2 && n <= 5, `probes in ~3 intervals after the takeover: ${n}`)
  for (const dp of cluster.dataPlanes.slice(1)) assert.deepEqual(await spreadAt(dp.proxyUrl, 4), { a: 2, b: 2 }, dp.name)
})
