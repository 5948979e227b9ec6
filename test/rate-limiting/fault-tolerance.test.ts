// End-to-end, policy redis with its Redis gone: the standalone gateway counts in a private
// redis-server that this test starts on a free port and kills (the machine's shared Redis is
// never touched). fault_tolerant=true keeps proxying without rate-limit headers,
// fault_tolerant=false answers Kong's 500; both answer at once rather than waiting on Redis,
// and counting resumes once Redis is back.

import { RedisServerProcess, startUpstream, waitFor, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { adminForm, proxyGet, rateLimitHeaders, startGateway, type Gateway } from './fixtures.js'

let gw: Gateway
let backend: UpstreamServer
let redis: RedisServerProcess
const pluginIds: Record<string, string> = {}

before(async () => {
  ;[gw, backend, redis] = await Promise.all([
    startGateway('rate-limiting/fault/gateway'),
    startUpstream('backend'),
    RedisServerProcess.start(),
  ])
  await adminForm(gw.admin, 'POST', '/services', { name: 'api', url: `http://${backend.address}` })
  for (const [name, tolerant] of [['tolerant', 'true'], ['strict', 'false']] as const) {
    await adminForm(gw.admin, 'POST', '/services/api/routes', { name, 'paths[]': `/${name}` })
    const p = await adminForm<{ id: string }>(gw.admin, 'POST', `/routes/${name}/plugins`, {
      name: 'rate-limiting',
      'config.hour': '1000',
      'config.policy': 'redis',
      'config.redis.host': '127.0.0.1',
      'config.redis.port': String(redis.port),
      'config.redis.timeout': '1000',
      'config.fault_tolerant': tolerant,
    })
    pluginIds[name] = p.id
  }
})
after(async () => {
  await gw?.stop()
  await backend?.close()
  await redis?.kill()
})

test('Redis up: both routes count in the private Redis', { timeout: 10_000 }, async () => {
  for (const name of ['tolerant', 'strict']) {
    const a = await proxyGet(`${gw.proxy}/${name}`)
    assert.equal(a.status, 200)
    assert.equal(a.headers['ratelimit-limit'], '1000')
    assert.equal(a.headers['ratelimit-remaining'], '999')
  }
  assert.equal(await redis.command('DBSIZE'), '2', 'one hour counter per route')
})

test('Redis killed: fault_tolerant=true proxies without headers, false answers 500 — both at once', { timeout: 15_000 }, async () => {
  await redis.kill()
  for (let i = 0; i < 5; i++) {
    const ok = await proxyGet(`${gw.proxy}/tolerant`)
    assert.equal(ok.status, 200)
    assert.equal(ok.body, 'backend')
    assert.deepEqual(rateLimitHeaders(ok), {})
    assert.ok(ok.ms < 900, `answered in ${Math.round(ok.ms)} ms (redis timeout is 1000 ms)`)

    const failed = await proxyGet(`${gw.proxy}/strict`)
    assert.equal(failed.status, 500)
    assert.equal(failed.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal((JSON.parse(failed.body) as { message: string }).message, 'An unexpected error occurred')
    assert.deepEqual(rateLimitHeaders(failed), {})
    assert.ok(failed.ms < 900, `answered in ${Math.round(failed.ms)} ms`)
  }
  // Switching fault_tolerant over the Admin API flips the behaviour on the next request.
  await adminForm(gw.admin, 'PATCH', `/plugins/${pluginIds['tolerant']}`, { 'config.fault_tolerant': 'false' })
  assert.equal((await proxyGet(`${gw.proxy}/tolerant`)).status, 500)
  await adminForm(gw.admin, 'PATCH', `/plugins/${pluginIds['strict']}`, { 'config.fault_tolerant': 'true' })
  assert.equal((await proxyGet(`${gw.proxy}/strict`)).status, 200)
  await adminForm(gw.admin, 'PATCH', `/plugins/${pluginIds['tolerant']}`, { 'config.fault_tolerant': 'true' })
  await adminForm(gw.admin, 'PATCH', `/plugins/${pluginIds['strict']}`, { 'config.fault_tolerant': 'false' })
  // The failure is logged, but not once per request.
  const logged = gw.proc.lines.filter((l) => l.msg === 'rate-limiting: failed to get usage').length
  assert.ok(logged >= 1 && logged <= 4, `${logged} failure log lines`)
})

test('Redis back on the same port: counting resumes', { timeout: 15_000 }, async () => {
  redis = await redis.restart()
  // A fresh server holds no counters: the count starts over.
  const a = await waitFor('the tolerant route to count again', async () => {
    const r = await proxyGet(`${gw.proxy}/tolerant`)
    return r.headers['ratelimit-remaining'] !== undefined ? r : undefined
  }, 5000, { intervalMs: 100 })
  assert.equal(a.status, 200)
  assert.equal(a.headers['ratelimit-remaining'], '999')
  const s = await proxyGet(`${gw.proxy}/strict`)
  assert.equal(s.status, 200)
  assert.equal(s.headers['ratelimit-remaining'], '999')
})
