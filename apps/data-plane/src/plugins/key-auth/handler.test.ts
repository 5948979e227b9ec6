// key-auth inside a real proxy over loopback (Kong 3.9's handler): where the key is read,
// the 401s with WWW-Authenticate, X-Consumer-* headers upstream, hide_credentials, anonymous,
// preflight, expired keys, and the consumer it identifies selecting consumer-scoped
// rate-limiting instances and the consistent-hashing input.

import {
  consumers as consumerDef,
  keyauthCredentials,
  plugins as pluginDef,
  type Entity,
  type EntityDefinition,
} from '@switchyard/entities'
import { createLogger } from '@switchyard/log'
import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { fx, snapshotOf, startTestProxy, makeEntity, type TestProxy } from '../../test-fixtures.js'
import { createPluginAccess, type PluginAccess } from '../access.js'

const NOW = Date.parse('2024-07-01T12:01:30.000Z')
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

const make = (def: EntityDefinition, input: Entity): Entity => makeEntity(def, input, { now: NOW })

let shared: UpstreamServer | undefined
async function backend(): Promise<UpstreamServer> {
  if (!shared) {
    const u = await startUpstream('backend')
    shared = u
    cleanups.push(() => u.close())
  }
  return shared
}

interface Setup {
  proxy: TestProxy
  alice: Entity
  bob: Entity
  anon: Entity
  aliceKey: Entity
  routeId: string
}

/** Route /a (key-auth with `config`), consumers alice (custom_id), bob and anon, keys per consumer. */
async function setup(config: Entity, extraPlugins: (s: { alice: Entity; bob: Entity; routeId: string }) => Entity[] = () => []): Promise<Setup> {
  const b = await backend()
  const service = fx.service({ host: b.host, port: b.port })
  const route = fx.route(service, { paths: ['/a'] })
  const alice = make(consumerDef, { username: 'alice', custom_id: 'team-a' })
  const bob = make(consumerDef, { username: 'bob' })
  const anon = make(consumerDef, { username: 'anon' })
  const aliceKey = make(keyauthCredentials, { key: 'alice-key', consumer: { id: alice['id'] } })
  const bobKey = make(keyauthCredentials, { key: 'bob-key', consumer: { id: bob['id'] } })
  const expired = make(keyauthCredentials, { key: 'old-key', consumer: { id: bob['id'] }, ttl: Math.floor(NOW / 1000) - 1 })
  const routeId = String(route['id'])
  const plugins = [
    make(pluginDef, { name: 'key-auth', route: { id: routeId }, config }),
    ...extraPlugins({ alice, bob, routeId }).map((p) => make(pluginDef, p)),
  ]
  const snapshot = snapshotOf({
    services: [service],
    routes: [route],
    consumers: [alice, bob, anon],
    keyauth_credentials: [aliceKey, bobKey, expired],
    plugins,
  })
  let access: PluginAccess | undefined
  const p = await startTestProxy(snapshot, { access: (ctx) => access!.access(ctx) })
  access = createPluginAccess({ state: p.state, log: createLogger({ level: 'silent' }), now: () => NOW })
  cleanups.push(async () => {
    await p.close()
    await access!.close()
  })
  return { proxy: p, alice, bob, anon, aliceKey, routeId }
}

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: res.status, headers: res.headers, body }
}

function lastSeen() {
  const seen = shared!.requests.at(-1)
  assert.ok(seen, 'the upstream saw a request')
  return seen
}

describe('key-auth through the proxy', () => {
  test('no key: 401 "No API key found in request" with WWW-Authenticate: Key; a wrong key: Unauthorized', async () => {
    const { proxy } = await setup({})
    const before = shared?.requests.length ?? 0
    const none = await call(`${proxy.url}/a`)
    assert.equal(none.status, 401)
    assert.equal((none.body as { message: string }).message, 'No API key found in request')
    assert.match((none.body as { request_id: string }).request_id, /^[0-9a-f]{32}$/)
    assert.equal(none.headers.get('www-authenticate'), 'Key')
    const wrong = await call(`${proxy.url}/a`, { headers: { apikey: 'nope' } })
    assert.equal(wrong.status, 401)
    assert.equal((wrong.body as { message: string }).message, 'Unauthorized')
    assert.equal(wrong.headers.get('www-authenticate'), 'Key')
    const empty = await call(`${proxy.url}/a?apikey=`)
    assert.equal((empty.body as { message: string }).message, 'No API key found in request')
    const dup = await call(`${proxy.url}/a?apikey=a&apikey=b`)
    assert.deepEqual([dup.status, (dup.body as { message: string }).message], [401, 'Duplicate API key found'])
    assert.equal(shared!.requests.length, before, 'nothing reached the upstream')
  })

  test('realm is sent in WWW-Authenticate', async () => {
    const { proxy } = await setup({ realm: 'ai-gateway' })
    const r = await call(`${proxy.url}/a`)
    assert.equal(r.headers.get('www-authenticate'), 'Key realm="ai-gateway"')
  })

  test('a key in the header or the query authenticates; X-Consumer-* headers reach the upstream', async () => {
    const { proxy, alice, aliceKey } = await setup({})
    const viaHeader = await call(`${proxy.url}/a`, {
      headers: { apikey: 'alice-key', 'x-consumer-username': 'forged', 'x-anonymous-consumer': 'true' },
    })
    assert.equal(viaHeader.status, 200)
    let h = lastSeen().headers
    assert.equal(h['x-consumer-id'], alice['id'])
    assert.equal(h['x-consumer-username'], 'alice')
    assert.equal(h['x-consumer-custom-id'], 'team-a')
    assert.equal(h['x-credential-identifier'], aliceKey['id'])
    assert.equal(h['x-anonymous-consumer'], undefined)
    assert.equal(h['apikey'], 'alice-key', 'not hidden by default')
    const viaQuery = await call(`${proxy.url}/a?apikey=bob-key&x=1`)
    assert.equal(viaQuery.status, 200)
    h = lastSeen().headers
    assert.equal(h['x-consumer-username'], 'bob')
    assert.equal(h['x-consumer-custom-id'], undefined, 'cleared: bob has no custom_id')
    assert.equal(lastSeen().url, '/?apikey=bob-key&x=1', 'strip_path; the key stays')
  })

  test('key_names in order, header lookup is case-insensitive; key_in_query=false ignores the query', async () => {
    const { proxy } = await setup({ key_names: ['x-api-key', 'token'], key_in_query: false })
    assert.equal((await call(`${proxy.url}/a`, { headers: { 'X-API-Key': 'alice-key' } })).status, 200)
    assert.equal((await call(`${proxy.url}/a`, { headers: { token: 'bob-key' } })).status, 200)
    assert.equal(lastSeen().headers['x-consumer-username'], 'bob')
    assert.equal((await call(`${proxy.url}/a?token=bob-key`)).status, 401)
  })

  test('hide_credentials removes the key from header, query and body', async () => {
    const { proxy } = await setup({ hide_credentials: true, key_in_body: true })
    assert.equal((await call(`${proxy.url}/a?apikey=alice-key&keep=1`)).status, 200)
    assert.equal(lastSeen().url, '/?keep=1')
    assert.equal((await call(`${proxy.url}/a`, { headers: { apikey: 'alice-key', other: 'x' } })).status, 200)
    assert.equal(lastSeen().headers['apikey'], undefined)
    assert.equal(lastSeen().headers['other'], 'x')
    const json = await call(`${proxy.url}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: 'bob-key', prompt: 'hi' }),
    })
    assert.equal(json.status, 200)
    assert.deepEqual(JSON.parse(lastSeen().body.toString()), { prompt: 'hi' })
    assert.equal(lastSeen().headers['content-length'], String(Buffer.byteLength('{"prompt":"hi"}')))
    const form = await call(`${proxy.url}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&apikey=alice-key&b=2',
    })
    assert.equal(form.status, 200)
    assert.equal(lastSeen().body.toString(), 'a=1&b=2')
    assert.equal(lastSeen().headers['x-consumer-username'], 'alice')
    // multipart/form-data: the key's part is dropped, every other part (files too) kept as sent.
    const fd = new FormData()
    fd.append('prompt', 'hi')
    fd.append('apikey', 'bob-key')
    fd.append('file', new Blob(['apikey=not-this']), 'notes.txt')
    const multipart = await call(`${proxy.url}/a`, { method: 'POST', body: fd })
    assert.equal(multipart.status, 200)
    assert.equal(lastSeen().headers['x-consumer-username'], 'bob')
    const sent = lastSeen().body.toString()
    assert.doesNotMatch(sent, /bob-key/)
    assert.match(sent, /name="prompt"\r\n\r\nhi\r\n/)
    assert.match(sent, /filename="notes.txt"[\s\S]*apikey=not-this/)
    assert.equal(lastSeen().headers['content-length'], String(Buffer.byteLength(sent)))
  })

  test('key_in_body reads multipart text fields, never files; malformed multipart has no key', async () => {
    const { proxy } = await setup({ key_in_body: true, key_in_header: false, key_in_query: false })
    const fd = new FormData()
    fd.append('apikey', 'alice-key')
    assert.equal((await call(`${proxy.url}/a`, { method: 'POST', body: fd })).status, 200)
    assert.equal(lastSeen().headers['x-consumer-username'], 'alice')
    const fileOnly = new FormData()
    fileOnly.append('apikey', new Blob(['alice-key']), 'key.txt')
    assert.equal((await call(`${proxy.url}/a`, { method: 'POST', body: fileOnly })).status, 401)
    const broken = await call(`${proxy.url}/a`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="apikey"\r\n\r\nalice-key',
    })
    assert.equal(broken.status, 401)
  })

  test('key_in_body=false: a key in the body is not read', async () => {
    const { proxy } = await setup({})
    const r = await call(`${proxy.url}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: 'alice-key' }),
    })
    assert.equal(r.status, 401)
  })

  test('an expired credential is Unauthorized', async () => {
    const { proxy } = await setup({})
    const r = await call(`${proxy.url}/a`, { headers: { apikey: 'old-key' } })
    assert.deepEqual([r.status, (r.body as { message: string }).message], [401, 'Unauthorized'])
  })

  test('anonymous: a failed authentication passes as that consumer with X-Anonymous-Consumer', async () => {
    const { proxy, anon } = await setup({ anonymous: 'anon' })
    assert.equal((await call(`${proxy.url}/a`)).status, 200)
    const h = lastSeen().headers
    assert.equal(h['x-consumer-id'], anon['id'])
    assert.equal(h['x-consumer-username'], 'anon')
    assert.equal(h['x-anonymous-consumer'], 'true')
    assert.equal(h['x-credential-identifier'], undefined)
    assert.equal((await call(`${proxy.url}/a`, { headers: { apikey: 'alice-key' } })).status, 200)
    assert.equal(lastSeen().headers['x-consumer-username'], 'alice')
    assert.equal(lastSeen().headers['x-anonymous-consumer'], undefined)
  })

  test('anonymous naming a missing consumer is a 500', async () => {
    const { proxy } = await setup({ anonymous: randomUUID() })
    const r = await call(`${proxy.url}/a`)
    assert.deepEqual([r.status, (r.body as { message: string }).message], [500, 'An unexpected error occurred'])
  })

  test('run_on_preflight=false lets OPTIONS through unauthenticated', async () => {
    const off = await setup({ run_on_preflight: false })
    assert.equal((await call(`${off.proxy.url}/a`, { method: 'OPTIONS' })).status, 200)
    const on = await setup({})
    assert.equal((await call(`${on.proxy.url}/a`, { method: 'OPTIONS' })).status, 401)
  })

  test('rate-limiting scoped to a consumer applies to that consumer only; limit_by consumer counts per consumer', async () => {
    const { proxy } = await setup({}, ({ alice, routeId }) => [
      { name: 'rate-limiting', route: { id: routeId }, config: { minute: 3 } },
      { name: 'rate-limiting', consumer: { id: alice['id'] }, config: { minute: 1 } },
    ])
    const statuses = async (key: string, n: number) => {
      const out: number[] = []
      for (let i = 0; i < n; i++) out.push((await call(`${proxy.url}/a`, { headers: { apikey: key } })).status)
      return out
    }
    // alice: the consumer-scoped instance (consumer beats route) allows 1 per minute.
    assert.deepEqual(await statuses('alice-key', 2), [200, 429])
    // bob: the route instance, 3 per minute, counted for bob alone.
    const bobRun = await statuses('bob-key', 4)
    assert.deepEqual(bobRun, [200, 200, 200, 429])
  })

  test('limit_by=credential counts per credential', async () => {
    const { proxy } = await setup({}, ({ routeId }) => [
      { name: 'rate-limiting', route: { id: routeId }, config: { minute: 1, limit_by: 'credential' } },
    ])
    assert.equal((await call(`${proxy.url}/a`, { headers: { apikey: 'alice-key' } })).status, 200)
    assert.equal((await call(`${proxy.url}/a`, { headers: { apikey: 'alice-key' } })).status, 429)
    assert.equal((await call(`${proxy.url}/a`, { headers: { apikey: 'bob-key' } })).status, 200)
  })
})
