// End to end, key-auth on an AI route across a real cluster (control plane + 3 data plane
// processes): two teams, each with its own key and its own rate limit (plugins scoped to the
// consumer, policy redis so the limit holds cluster-wide), requests spread round-robin over
// the data planes. Also a route-wide limit counted per consumer (limit_by=consumer), and
// deleting a consumer revoking its key on every data plane (the cascade).

import { redisCommand, startUpstream, TestCluster, type DataPlaneProcess, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ensureWindowRoom, proxyGet } from './fixtures.js'

const cluster = new TestCluster('key-auth')
let backend: UpstreamServer
let serviceId = ''
const REDIS = { host: '127.0.0.1', port: 6379 }

before(async () => {
  try {
    assert.equal(await redisCommand(6379, ['PING']), 'PONG')
  } catch (err) {
    throw new Error(`Redis is required at 127.0.0.1:6379 for the shared counters (run scripts/services.sh): ${(err as Error).message}`)
  }
  ;[backend] = await Promise.all([startUpstream('llm'), cluster.start(3)])
  const svc = await cluster.admin.ok<{ id: string }>('POST', '/services', { name: 'ai', url: `http://${backend.address}` })
  serviceId = svc.id
})
after(async () => {
  await cluster.cleanup()
  await backend?.close()
})

const dp = (i: number): DataPlaneProcess => cluster.dataPlanes[i % cluster.dataPlanes.length]!

/** A route with key-auth, and two teams (new names per test) with their keys. */
async function keyAuthRoute(name: string): Promise<{ path: string; teams: [string, string] }> {
  const route = await cluster.admin.ok<{ id: string }>('POST', `/services/${serviceId}/routes`, { name, paths: [`/${name}`] })
  await cluster.admin.ok('POST', `/routes/${route.id}/plugins`, { name: 'key-auth' })
  const teams: [string, string] = [`${name}-team-a`, `${name}-team-b`]
  for (const team of teams) {
    await cluster.admin.ok('POST', '/consumers', { username: team, custom_id: `${team}-id` })
    await cluster.admin.ok('POST', `/consumers/${team}/key-auth`, { key: `${team}-key` })
  }
  return { path: `/${name}`, teams }
}

async function statuses(path: string, key: string | undefined, n: number, offset = 0): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const a = await proxyGet(`${dp(offset + i).proxyUrl}${path}`, key ? { apikey: key } : {})
    out.push(a.status)
  }
  return out
}

test('two teams, own keys, own limits (consumer-scoped, redis) across 3 data planes', { timeout: 60_000 }, async () => {
  const { path, teams } = await keyAuthRoute('chat')
  const [a, b] = teams
  await cluster.admin.ok('POST', `/consumers/${a}/plugins`, { name: 'rate-limiting', config: { minute: 3, policy: 'redis', redis: REDIS } })
  await cluster.admin.ok('POST', `/consumers/${b}/plugins`, { name: 'rate-limiting', config: { minute: 5, policy: 'redis', redis: REDIS } })
  await cluster.waitForConvergence(10_000)
  await ensureWindowRoom(60_000, 15_000)

  const none = await proxyGet(`${dp(0).proxyUrl}${path}`)
  assert.equal(none.status, 401)
  assert.equal(none.headers['www-authenticate'], 'Key')
  assert.equal((JSON.parse(none.body) as { message: string }).message, 'No API key found in request')
  const wrong = await proxyGet(`${dp(1).proxyUrl}${path}`, { apikey: 'nope' })
  assert.equal((JSON.parse(wrong.body) as { message: string }).message, 'Unauthorized')

  const seen = backend.requests.length
  assert.deepEqual(await statuses(path, `${a}-key`, 5), [200, 200, 200, 429, 429], 'team a: 3 per minute, cluster-wide')
  assert.deepEqual(await statuses(path, `${b}-key`, 7, 1), [200, 200, 200, 200, 200, 429, 429], 'team b: 5 per minute, not touched by a')
  const reached = backend.requests.slice(seen)
  assert.equal(reached.length, 8)
  assert.deepEqual(
    reached.map((r) => r.headers['x-consumer-username']),
    [a, a, a, b, b, b, b, b],
    'each request reached the upstream as its team'
  )
  for (const r of reached) assert.ok(r.headers['x-credential-identifier'], 'credential id sent upstream')
  const limited = await proxyGet(`${dp(2).proxyUrl}${path}`, { apikey: `${b}-key` })
  assert.equal(limited.headers['x-ratelimit-limit-minute'], '5')
})

test('one route-wide limit counted per consumer (limit_by=consumer), cluster-wide', { timeout: 60_000 }, async () => {
  const { path, teams } = await keyAuthRoute('shared')
  const routeId = (await cluster.admin.ok<{ id: string }>('GET', '/routes/shared')).id
  await cluster.admin.ok('POST', `/routes/${routeId}/plugins`, {
    name: 'rate-limiting',
    config: { minute: 2, limit_by: 'consumer', policy: 'redis', redis: REDIS },
  })
  await cluster.waitForConvergence(10_000)
  await ensureWindowRoom(60_000, 15_000)
  assert.deepEqual(await statuses(path, `${teams[0]}-key`, 3), [200, 200, 429])
  assert.deepEqual(await statuses(path, `${teams[1]}-key`, 3, 1), [200, 200, 429])
})

test('deleting a consumer revokes its key on every data plane', { timeout: 60_000 }, async () => {
  const { path, teams } = await keyAuthRoute('revoke')
  await cluster.waitForConvergence(10_000)
  assert.deepEqual(await statuses(path, `${teams[0]}-key`, 3), [200, 200, 200])
  const del = await cluster.admin.request('DELETE', `/consumers/${teams[0]}`)
  assert.equal(del.status, 204)
  await cluster.waitForConvergence(10_000)
  assert.deepEqual(await statuses(path, `${teams[0]}-key`, 3), [401, 401, 401])
  assert.deepEqual(await statuses(path, `${teams[1]}-key`, 3), [200, 200, 200])
})
