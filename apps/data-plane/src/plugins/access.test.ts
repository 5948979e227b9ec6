// The plugins' access phase inside a real proxy over loopback: rate-limit headers on proxied
// responses and on proxy errors, the 429 as the client sees it, which instance applies, and
// plugin changes taking effect without a restart.

import { plugins as pluginDef, prepareCreate, type Entity } from '@switchyard/entities'
import { createLogger } from '@switchyard/log'
import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { fx, snapshotOf, startTestProxy, type TestProxy } from '../test-fixtures.js'
import { createPluginAccess, type PluginAccess } from './access.js'

const NOW = Date.parse('2024-07-01T12:01:30.000Z')
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

function plugin(input: Entity): Entity {
  const r = prepareCreate(pluginDef, input, { now: Date.now(), newId: randomUUID })
  if (!r.ok) throw new Error(`invalid plugin fixture: ${r.error.message}`)
  return r.entity
}

let upstream: UpstreamServer | undefined
async function backend(): Promise<UpstreamServer> {
  if (!upstream) {
    const u = await startUpstream('backend')
    upstream = u
    cleanups.push(() => u.close())
  }
  return upstream
}

/** A proxy over two routes (/a, /b) on one service, plus /dead whose upstream has no targets. */
async function setup(pluginInputs: (ids: { routeA: string; routeB: string; service: string }) => Entity[]) {
  const b = await backend()
  const service = fx.service({ host: b.host, port: b.port })
  const routeA = fx.route(service, { paths: ['/a'] })
  const routeB = fx.route(service, { paths: ['/b'] })
  const dead = fx.upstream({ name: 'dead.test' })
  const deadService = fx.service({ host: 'dead.test', port: 80 })
  const deadRoute = fx.route(deadService, { paths: ['/dead'] })
  const ids = { routeA: String(routeA['id']), routeB: String(routeB['id']), service: String(service['id']) }
  const snapshot = snapshotOf({
    upstreams: [dead],
    services: [service, deadService],
    routes: [routeA, routeB, deadRoute],
    plugins: pluginInputs(ids).map(plugin),
  })
  let access: PluginAccess | undefined
  const deps = { access: (ctx: Parameters<PluginAccess['access']>[0]) => access!.access(ctx) }
  const p: TestProxy = await startTestProxy(snapshot, deps)
  // A pinned clock: no window boundary can fall between two requests of a test.
  access = createPluginAccess({ state: p.state, log: createLogger({ level: 'silent' }), now: () => NOW })
  cleanups.push(async () => {
    await p.close()
    await access!.close()
  })
  return { proxy: p, ids, access }
}

async function get(url: string) {
  const res = await fetch(url)
  return { status: res.status, headers: res.headers, body: await res.text() }
}

describe('rate limiting through the proxy', () => {
  test('minute=6: 200×6 then 429, RateLimit-Remaining 5,4,3,2,1,0,0, Kong body and headers', async () => {
    const { proxy } = await setup(() => [{ name: 'rate-limiting', config: { minute: 6 } }])
    const reachedBefore = (await backend()).requests.length
    const seen = []
    for (let i = 0; i < 7; i++) seen.push(await get(`${proxy.url}/a`))
    assert.deepEqual(seen.map((r) => r.status), [200, 200, 200, 200, 200, 200, 429])
    assert.deepEqual(seen.map((r) => r.headers.get('ratelimit-remaining')), ['5', '4', '3', '2', '1', '0', '0'])
    assert.deepEqual(seen.map((r) => r.headers.get('x-ratelimit-remaining-minute')), ['5', '4', '3', '2', '1', '0', '0'])
    for (const r of seen) {
      assert.equal(r.headers.get('ratelimit-limit'), '6')
      assert.equal(r.headers.get('x-ratelimit-limit-minute'), '6')
      assert.equal(r.headers.get('ratelimit-reset'), '30')
    }
    assert.equal(seen[0]!.body, 'backend', 'proxied normally')
    assert.equal(seen[0]!.headers.get('retry-after'), null)
    const blocked = seen[6]!
    assert.equal(blocked.headers.get('retry-after'), blocked.headers.get('ratelimit-reset'))
    assert.equal(blocked.headers.get('content-type'), 'application/json; charset=utf-8')
    const body = JSON.parse(blocked.body) as { message: string; request_id: string }
    assert.equal(body.message, 'API rate limit exceeded')
    assert.match(body.request_id, /^[0-9a-f]{32}$/)
    assert.equal(blocked.headers.get('x-kong-request-id'), body.request_id)
    assert.equal((await backend()).requests.length - reachedBefore, 6, 'the blocked request never reached the upstream')
  })

  test('the most specific instance wins; a global one covers the other routes', async () => {
    const { proxy } = await setup(({ routeA }) => [
      { name: 'rate-limiting', config: { minute: 1 } },
      { name: 'rate-limiting', route: { id: routeA }, config: { minute: 3 } },
    ])
    const a = []
    for (let i = 0; i < 4; i++) a.push((await get(`${proxy.url}/a`)).status)
    assert.deepEqual(a, [200, 200, 200, 429])
    const b = [(await get(`${proxy.url}/b`)).status, (await get(`${proxy.url}/b`)).status]
    assert.deepEqual(b, [200, 429])
  })

  test('disabled instances and plugins without an access phase change nothing', async () => {
    const { proxy } = await setup(() => [
      { name: 'rate-limiting', enabled: false, config: { minute: 1 } },
      { name: 'prometheus' },
    ])
    for (let i = 0; i < 3; i++) {
      const r = await get(`${proxy.url}/a`)
      assert.equal(r.status, 200)
      assert.equal(r.headers.get('ratelimit-limit'), null)
    }
  })

  test('rate-limit headers ride on errors the proxy produces', async () => {
    const { proxy } = await setup(() => [{ name: 'rate-limiting', config: { hour: 5 } }])
    const r = await get(`${proxy.url}/dead`)
    assert.equal(r.status, 503)
    assert.equal(r.headers.get('x-ratelimit-limit-hour'), '5')
    assert.equal(r.headers.get('ratelimit-remaining'), '4')
  })

  test('custom error_code/error_message; hide_client_headers hides all six headers', async () => {
    const { proxy } = await setup(({ routeA, routeB }) => [
      { name: 'rate-limiting', route: { id: routeA }, config: { minute: 1, error_code: 404, error_message: 'Fake Not Found' } },
      { name: 'rate-limiting', route: { id: routeB }, config: { minute: 1, hide_client_headers: true } },
    ])
    await get(`${proxy.url}/a`)
    const a = await get(`${proxy.url}/a`)
    assert.equal(a.status, 404)
    assert.equal((JSON.parse(a.body) as { message: string }).message, 'Fake Not Found')
    const b1 = await get(`${proxy.url}/b`)
    const b2 = await get(`${proxy.url}/b`)
    assert.deepEqual([b1.status, b2.status], [200, 429])
    for (const r of [b1, b2]) {
      const names = [...r.headers.keys()].filter((h) => /^(x-ratelimit-|ratelimit-|retry-after)/.test(h))
      assert.deepEqual(names, [])
    }
  })

  test('a plugin change takes effect at once', async () => {
    const { proxy, ids } = await setup(() => [])
    assert.equal((await get(`${proxy.url}/a`)).headers.get('ratelimit-limit'), null)
    const p = plugin({ name: 'rate-limiting', service: { id: ids.service }, config: { minute: 2 } })
    proxy.state.apply({ version: 2, entity: 'plugins', op: 'upsert', id: String(p['id']), payload: p })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await get(`${proxy.url}/a`)).status)
    assert.deepEqual(statuses, [200, 200, 429])
    proxy.state.apply({ version: 3, entity: 'plugins', op: 'upsert', id: String(p['id']), payload: { ...p, enabled: false } })
    assert.equal((await get(`${proxy.url}/a`)).status, 200)
  })
})
