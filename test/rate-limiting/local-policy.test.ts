// End-to-end, policy local on the standalone gateway (`npm start` as a child process, on a
// fresh Postgres database): plugins created over the Admin API exactly as with curl --data,
// traffic through the proxy to a real upstream. Kong's spec trace: minute=6 gives
// 200×6 then 429 with RateLimit-Remaining 5,4,3,2,1,0,0.

import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { adminForm, adminGet, ensureWindowRoom, proxyGet, rateLimitHeaders, startGateway, type Gateway } from './fixtures.js'

let gw: Gateway
let backend: UpstreamServer

before(async () => {
  ;[gw, backend] = await Promise.all([startGateway('rate-limiting/local/gateway'), startUpstream('backend')])
  await adminForm(gw.admin, 'POST', '/services', { name: 'api', url: `http://${backend.address}` })
  for (const p of ['/limited', '/quiet', '/tenants']) {
    await adminForm(gw.admin, 'POST', '/services/api/routes', { name: p.slice(1), 'paths[]': p })
  }
})
after(async () => {
  await gw?.stop()
  await backend?.close()
})

test('minute=6: 200×6 then 429 with Kong headers and body; the blocked request never reaches the upstream', { timeout: 20_000 }, async () => {
  const plugin = await adminForm<{ config: Record<string, unknown> }>(gw.admin, 'POST', '/routes/limited/plugins', {
    name: 'rate-limiting',
    'config.minute': '6',
    'config.policy': 'local',
  })
  assert.equal(plugin.config['minute'], 6)
  await ensureWindowRoom(60_000, 10_000)
  const before = backend.requests.length
  const answers = []
  for (let i = 0; i < 7; i++) answers.push(await proxyGet(`${gw.proxy}/limited`))

  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200, 429])
  assert.deepEqual(answers.map((a) => a.headers['ratelimit-remaining']), ['5', '4', '3', '2', '1', '0', '0'])
  assert.deepEqual(answers.map((a) => a.headers['x-ratelimit-remaining-minute']), ['5', '4', '3', '2', '1', '0', '0'])
  for (const a of answers) {
    assert.equal(a.headers['ratelimit-limit'], '6')
    assert.equal(a.headers['x-ratelimit-limit-minute'], '6')
    const reset = Number(a.headers['ratelimit-reset'])
    assert.ok(Number.isInteger(reset) && reset >= 1 && reset <= 60, `RateLimit-Reset ${reset}`)
  }
  assert.equal(answers[0]!.body, 'backend')
  assert.equal(answers[0]!.headers['retry-after'], undefined)

  const blocked = answers[6]!
  assert.equal(blocked.headers['retry-after'], blocked.headers['ratelimit-reset'])
  assert.equal(blocked.headers['content-type'], 'application/json; charset=utf-8')
  const body = JSON.parse(blocked.body) as { message: string; request_id: string }
  assert.equal(body.message, 'API rate limit exceeded')
  assert.match(body.request_id, /^[0-9a-f]{32}$/)
  assert.equal(backend.requests.length - before, 6)
  assert.deepEqual(Object.keys(rateLimitHeaders(blocked)).sort(), [
    'ratelimit-limit',
    'ratelimit-remaining',
    'ratelimit-reset',
    'retry-after',
    'x-ratelimit-limit-minute',
    'x-ratelimit-remaining-minute',
  ])
})

test('hide_client_headers with a custom error_code/error_message: no rate-limit header at all', { timeout: 20_000 }, async () => {
  await adminForm(gw.admin, 'POST', '/routes/quiet/plugins', {
    name: 'rate-limiting',
    'config.hour': '2',
    'config.hide_client_headers': 'true',
    'config.error_code': '404',
    'config.error_message': 'Fake Not Found',
  })
  await ensureWindowRoom(3_600_000, 10_000)
  const answers = [await proxyGet(`${gw.proxy}/quiet`), await proxyGet(`${gw.proxy}/quiet`), await proxyGet(`${gw.proxy}/quiet`)]
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 404])
  assert.equal((JSON.parse(answers[2]!.body) as { message: string }).message, 'Fake Not Found')
  for (const a of answers) assert.deepEqual(rateLimitHeaders(a), {})
})

test('limit_by header counts each value apart and falls back to the client IP', { timeout: 20_000 }, async () => {
  await adminForm(gw.admin, 'POST', '/routes/tenants/plugins', {
    name: 'rate-limiting',
    'config.minute': '1',
    'config.limit_by': 'header',
    'config.header_name': 'X-Tenant',
  })
  await ensureWindowRoom(60_000, 10_000)
  const url = `${gw.proxy}/tenants`
  const statuses = [
    (await proxyGet(url, { 'x-tenant': 'a' })).status,
    (await proxyGet(url, { 'x-tenant': 'a' })).status,
    (await proxyGet(url, { 'x-tenant': 'b' })).status,
    (await proxyGet(url)).status,
    (await proxyGet(url)).status,
  ]
  assert.deepEqual(statuses, [200, 429, 200, 200, 429])
})

test('disabling the plugin over the Admin API lifts the limit at once', { timeout: 20_000 }, async () => {
  const list = await adminGet<{ data: { id: string }[] }>(gw.admin, '/routes/limited/plugins')
  const id = list.data[0]!.id
  await adminForm(gw.admin, 'PATCH', `/plugins/${id}`, { enabled: 'false' })
  const a = await proxyGet(`${gw.proxy}/limited`)
  assert.equal(a.status, 200)
  assert.deepEqual(rateLimitHeaders(a), {})
})
