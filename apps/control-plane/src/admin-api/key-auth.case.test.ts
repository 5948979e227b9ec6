// key-auth cases (kong/plugins/key-auth/daos.lua and schema.lua, Kong 3.9): credentials at
// `/consumers/{c}/key-auth` and `/key-auths` (a random key when none is given, unique keys,
// `ttl`), the plugin's config defaults, and the credential collections of plugins this node
// does not run, which answer as Kong does when the plugin is not installed.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import { collectPages, expectMessage, expectStatus, expectViolation, inEach, newId } from './fixtures.js'
import type { AdminHarness } from './harness.js'

const KEY_AUTH_DEFAULTS = {
  key_names: ['apikey'],
  hide_credentials: false,
  anonymous: null,
  key_in_header: true,
  key_in_query: true,
  key_in_body: false,
  run_on_preflight: true,
  realm: null,
}

export function runKeyAuthCases(h: AdminHarness): void {
  test('POST /consumers/{c}/key-auth: given key or a generated one, in every encoding', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const c = expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
      const given = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'alice-key', tags: ['t1'] }, enc), 201)
      assert.deepEqual(
        { ...given, id: 0, created_at: 0 },
        { id: 0, created_at: 0, consumer: { id: c.id }, key: 'alice-key', tags: ['t1'] }
      )
      const generated = expectStatus(await h.client.post('/consumers/alice/key-auth', { tags: ['gen'] }, enc), 201)
      assert.match(generated.key, /^[0-9a-f]{32}$/)
      const byKey = expectStatus(await h.client.get('/key-auths/alice-key'), 200)
      assert.equal(byKey.id, given.id)
      expectStatus(await h.client.get(`/consumers/alice/key-auth/${generated.id}`), 200)
      expectStatus(await h.client.get('/consumers/alice/key-auth/alice-key'), 200)
      assert.deepEqual(expectStatus(await h.client.get('/key-auths/alice-key/consumer'), 200), c)
    })
  })

  test('keys are unique; a credential belongs to its consumer; unknown consumer is 404', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    expectStatus(await h.client.post('/consumers', { username: 'bob' }), 201)
    const k = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'k1' }), 201)
    const dup = await h.client.post('/consumers/bob/key-auth', { key: 'k1' })
    assert.deepEqual(expectStatus(dup, 409), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{key="k1"}'`,
      fields: { key: 'k1' },
    })
    expectMessage(await h.client.get(`/consumers/bob/key-auth/${k.id}`), 404, 'Not found')
    expectMessage(await h.client.get('/consumers/nobody/key-auth'), 404, 'Not found')
    expectMessage(await h.client.post('/consumers/nobody/key-auth', { key: 'x' }), 404, 'Not found')
    // Through /key-auths the consumer is required.
    expectViolation(await h.client.post('/key-auths', { key: 'k2' }), { consumer: 'required field missing' })
    const viaTop = expectStatus(await h.client.post('/key-auths', { key: 'k2', consumer: { username: 'bob' } }), 201)
    assert.equal(viaTop.key, 'k2')
    expectViolation(await h.client.post('/key-auths', { key: 5, consumer: { username: 'bob' } }), { key: 'expected a string' })
  })

  test('GET /key-auths pages with /key-auths links; nested lists hold one consumer', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    expectStatus(await h.client.post('/consumers', { username: 'bob' }), 201)
    for (let i = 0; i < 3; i++) expectStatus(await h.client.post('/consumers/alice/key-auth', {}), 201)
    expectStatus(await h.client.post('/consumers/bob/key-auth', {}), 201)
    const first = expectStatus(await h.client.get('/key-auths?size=2'), 200)
    assert.match(first.next, /^\/key-auths\?offset=/)
    assert.deepEqual((await collectPages(h.client, '/key-auths', 3)).map((p) => p.length), [3, 1])
    const nested = expectStatus(await h.client.get('/consumers/alice/key-auth?size=2'), 200)
    assert.match(nested.next, /^\/consumers\/alice\/key-auth\?offset=/)
    assert.deepEqual((await collectPages(h.client, '/consumers/alice/key-auth', 2)).flat().length, 3)
  })

  test('ttl: seconds left are shown; bad values are invalid options', async (t) => {
    await inEach(t, ['F', 'J'], async (enc) => {
      expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
      const k = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'short', ttl: 100 }, enc), 201)
      assert.ok(k.ttl <= 100 && k.ttl >= 98, `ttl ${k.ttl}`)
      const read = expectStatus(await h.client.get('/key-auths/short'), 200)
      assert.ok(read.ttl <= 100 && read.ttl >= 98)
      const none = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'forever' }, enc), 201)
      assert.equal('ttl' in none, false)
      const bad = await h.client.post('/consumers/alice/key-auth', { key: 'x', ttl: 'soon' }, enc)
      assert.deepEqual(expectStatus(bad, 400), {
        code: 11,
        name: 'invalid options',
        message: 'invalid option (ttl: must be a number)',
        options: { ttl: 'must be a number' },
      })
      const neg = await h.client.post('/consumers/alice/key-auth', { key: 'x', ttl: -1 }, enc)
      assert.equal(expectStatus(neg, 400).message, 'invalid option (ttl: must be an integer between 0 and 100000000)')
    })
  })

  test('an expired credential is gone from the Admin API', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'brief', ttl: 1 }), 201)
    expectStatus(await h.client.get('/key-auths/brief'), 200)
    await new Promise((r) => setTimeout(r, 2100))
    expectMessage(await h.client.get('/key-auths/brief'), 404, 'Not found')
    assert.deepEqual(expectStatus(await h.client.get('/key-auths'), 200).data, [])
    // Its key can be used again: the expired row is purged, with an outbox delete event.
    const again = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'brief' }), 201)
    assert.equal(again.key, 'brief')
    const events = (await h.events()).filter((e) => e.entity === 'keyauth_credentials')
    assert.deepEqual(events.map((e) => e.op), ['upsert', 'delete', 'upsert'])
  })

  test('key-auth plugin: Kong 3.9 config defaults, http protocols only, key_names checked', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const p = expectStatus(await h.client.post('/plugins', { name: 'key-auth', config: { hide_credentials: true } }, enc), 201)
      assert.deepEqual(p.config, { ...KEY_AUTH_DEFAULTS, hide_credentials: true })
      assert.deepEqual(Object.keys(p.config), Object.keys(KEY_AUTH_DEFAULTS))
      assert.deepEqual(p.protocols, ['grpc', 'grpcs', 'http', 'https'])
    })
    expectViolation(await h.client.post('/plugins', { name: 'key-auth', protocols: ['tcp'] }), {
      protocols: ['expected one of: grpc, grpcs, http, https'],
    })
    expectViolation(await h.client.post('/plugins', { name: 'key-auth', config: { key_names: ['bad name'] } }), {
      config: { key_names: ["bad header name 'bad name', allowed characters are A-Z, a-z, 0-9, '_', and '-'"] },
    })
    const credSchema = expectStatus(await h.client.get('/schemas/keyauth_credentials'), 200)
    assert.equal(credSchema.ttl, true)
    assert.equal(credSchema.endpoint_key, 'key')
    assert.deepEqual(credSchema.fields.map((f: Json) => Object.keys(f)[0]), ['id', 'created_at', 'consumer', 'key', 'tags'])
    const consumerSchema = expectStatus(await h.client.get('/schemas/consumers'), 200)
    assert.deepEqual(consumerSchema.entity_checks, [{ at_least_one_of: ['custom_id', 'username'] }])
    const schema = expectStatus(await h.client.get('/schemas/plugins/key-auth'), 200)
    const config = schema.fields.find((f: Json) => 'config' in f).config
    assert.deepEqual(config.fields.find((f: Json) => 'key_names' in f).key_names.default, ['apikey'])
  })

  test('credential collections of plugins not installed answer 404 Not found, as Kong does', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    const collections = ['basic-auths', 'hmac-auths', 'jwts', 'oauth2', 'acls', 'mtls-auths']
    const nested = ['basic-auth', 'hmac-auth', 'jwt', 'oauth2', 'acls', 'mtls-auth']
    for (const c of collections) {
      expectMessage(await h.client.get(`/${c}`), 404, 'Not found')
      expectMessage(await h.client.get(`/${c}?size=1000`), 404, 'Not found')
      expectMessage(await h.client.get(`/${c}/${newId()}`), 404, 'Not found')
    }
    for (const n of nested) expectMessage(await h.client.get(`/consumers/alice/${n}`), 404, 'Not found')
  })
}
