// End-to-end, policy redis across a real cluster: a control plane and three data plane
// processes (fresh Postgres database, their own redis-server for config notices), with the
// counters in the machine's local Redis (127.0.0.1:6379; each test uses a new route, so its
// keys are its own and expire with their window). The limit holds for the cluster as a whole:
// exactly N requests pass whichever data planes they hit, the N+1st gets Kong's 429.

import { redisCommand, startUpstream, TestCluster, type DataPlaneProcess, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ensureWindowRoom, proxyGet, rateLimitHeaders, type ProxyAnswer } from './fixtures.js'

const NULL_UUID = '00000000-0000-0000-0000-000000000000'
const cluster = new TestCluster('rate-limiting')
let backend: UpstreamServer
let serviceId = ''

before(async () => {
  try {
    assert.equal(await redisCommand(6379, ['PING']), 'PONG')
  } catch (err) {
    throw new Error(`Redis is required at 127.0.0.1:6379 for the shared counters (run scripts/services.sh): ${(err as Error).message}`)
  }
  ;[backend] = await Promise.all([startUpstream('backend'), cluster.start(3)])
  const svc = await cluster.admin.ok<{ id: string }>('POST', '/services', { name: 'api', url: `http://${backend.address}` })
  serviceId = svc.id
})
after(async () => {
  await cluster.cleanup()
  await backend?.close()
})

/** A new route with a redis-policy rate-limiting instance on it, live on every data plane. */
async function limitedRoute(name: string, config: Record<string, unknown>): Promise<{ path: string; routeId: string }> {
  const route = await cluster.admin.ok<{ id: string }>('POST', `/services/${serviceId}/routes`, { name, paths: [`/${name}`] })
  await cluster.admin.ok('POST', `/routes/${route.id}/plugins`, {
    name: 'rate-limiting',
    config: { policy: 'redis', redis: { host: '127.0.0.1', port: 6379 }, ...config },
  })
  await cluster.waitForConvergence(5000)
  return { path: `/${name}`, routeId: route.id }
}

const dp = (i: number): DataPlaneProcess => cluster.dataPlanes[i % cluster.dataPlanes.length]!

test('minute=N across 3 data planes: exactly N pass round-robin, the N+1st gets 429 with Kong headers', { timeout: 30_000 }, async () => {
  const N = 10
  const { path, routeId } = await limitedRoute('round-robin', { minute: N })
  await ensureWindowRoom(60_000, 10_000)
  const windowStart = Math.floor(Date.now() / 60_000) * 60_000
  const answers: ProxyAnswer[] = []
  for (let i = 0; i < N + 3; i++) answers.push(await proxyGet(`${dp(i).proxyUrl}${path}`))

  const statuses = answers.map((a) => a.status)
  assert.deepEqual(statuses, [...Array(N).fill(200), 429, 429, 429], 'every data plane sees the shared count')
  assert.deepEqual(
    answers.map((a) => a.headers['ratelimit-remaining']),
    [...Array.from({ length: N }, (_, i) => String(N - 1 - i)), '0', '0', '0']
  )
  for (const a of answers) {
    assert.equal(a.headers['ratelimit-limit'], String(N))
    assert.equal(a.headers['x-ratelimit-limit-minute'], String(N))
    assert.equal(a.headers['x-ratelimit-remaining-minute'], a.headers['ratelimit-remaining'])
  }
  const first429 = answers[N]!
  const reset = Number(first429.headers['ratelimit-reset'])
  assert.ok(reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`)
  assert.deepEqual(rateLimitHeaders(first429), {
    'x-ratelimit-limit-minute': String(N),
    'x-ratelimit-remaining-minute': '0',
    'ratelimit-limit': String(N),
    'ratelimit-remaining': '0',
    'ratelimit-reset': String(reset),
    'retry-after': String(reset),
  })
  const body = JSON.parse(first429.body) as { message: string; request_id: string }
  assert.equal(body.message, 'API rate limit exceeded')
  assert.match(body.request_id, /^[0-9a-f]{32}$/)

  // One key in Kong's format for the whole cluster; blocked requests counted (as Kong's redis
  // policy does); it expires when the minute ends, not a full minute after its first hit.
  const key = `ratelimit:${routeId}:${NULL_UUID}:127.0.0.1:${windowStart}:minute`
  assert.equal(await redisCommand(6379, ['GET', key]), String(N + 3))
  const pttl = Number(await redisCommand(6379, ['PTTL', key]))
  const windowLeft = windowStart + 60_000 - Date.now()
  assert.ok(pttl > 0 && pttl <= windowLeft + 50, `PTTL ${pttl} ms, window has ${windowLeft} ms left`)
})

test('a concurrent burst over 3 data planes: exactly N pass, each remaining value seen once', { timeout: 30_000 }, async () => {
  const N = 20
  const { path } = await limitedRoute('burst', { minute: N })
  await ensureWindowRoom(60_000, 10_000)
  const answers = await Promise.all(Array.from({ length: 3 * N }, (_, i) => proxyGet(`${dp(i).proxyUrl}${path}`)))
  const passed = answers.filter((a) => a.status === 200)
  const blocked = answers.filter((a) => a.status === 429)
  assert.equal(passed.length, N, `statuses: ${JSON.stringify(answers.map((a) => a.status))}`)
  assert.equal(blocked.length, 2 * N)
  assert.deepEqual(
    passed.map((a) => Number(a.headers['ratelimit-remaining'])).sort((x, y) => x - y),
    Array.from({ length: N }, (_, i) => i)
  )
  for (const a of blocked) assert.equal(a.headers['retry-after'], a.headers['ratelimit-reset'])
})

test('limits of several periods hold cluster-wide; the tighter one is reported', { timeout: 30_000 }, async () => {
  const { path } = await limitedRoute('two-periods', { minute: 4, hour: 5 })
  await ensureWindowRoom(60_000, 10_000)
  const answers: ProxyAnswer[] = []
  for (let i = 0; i < 5; i++) answers.push(await proxyGet(`${dp(i).proxyUrl}${path}`))
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 429])
  assert.deepEqual(answers.map((a) => a.headers['x-ratelimit-remaining-minute']), ['3', '2', '1', '0', '0'])
  assert.deepEqual(answers.map((a) => a.headers['x-ratelimit-remaining-hour']), ['4', '3', '2', '1', '1'])
  assert.deepEqual(answers.map((a) => a.headers['ratelimit-limit']), ['4', '4', '4', '4', '4'])
})
