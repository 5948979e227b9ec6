// Plugin entity cases (reference metrics-and-ratelimit.md §3.5 and §4): Kong's shape with config
// defaults, the seed's curl syntax, scopes from nested URLs, uniqueness per scope, PATCH merging
// config, cascades, validation of the rate-limiting config, and the schema endpoints.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import { createRoute, createService, expectMessage, expectStatus, expectViolation, inEach } from './fixtures.js'
import type { AdminHarness } from './harness.js'

const RATE_LIMITING_DEFAULTS = {
  second: null,
  minute: 5,
  hour: null,
  day: null,
  month: null,
  year: null,
  limit_by: 'consumer',
  header_name: null,
  path: null,
  policy: 'local',
  fault_tolerant: true,
  redis: {
    host: null,
    port: 6379,
    timeout: 2000,
    username: null,
    password: null,
    database: 0,
    ssl: false,
    ssl_verify: false,
    server_name: null,
  },
  hide_client_headers: false,
  error_code: 429,
  error_message: 'API rate limit exceeded',
  sync_rate: -1,
}

export function runPluginCases(h: AdminHarness): void {
  test('POST /plugins with the seed syntax: Kong shape, every config default', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(await h.client.post('/plugins', { name: 'rate-limiting', config: { minute: 5 } }, enc), 201)
      assert.equal(typeof body.id, 'string')
      assert.equal(typeof body.created_at, 'number')
      assert.deepEqual(
        { ...body, id: undefined, created_at: undefined, updated_at: undefined },
        {
          id: undefined,
          created_at: undefined,
          updated_at: undefined,
          name: 'rate-limiting',
          instance_name: null,
          route: null,
          service: null,
          consumer: null,
          config: RATE_LIMITING_DEFAULTS,
          protocols: ['grpc', 'grpcs', 'http', 'https'],
          enabled: true,
          tags: null,
        }
      )
      assert.deepEqual(Object.keys(body.config), Object.keys(RATE_LIMITING_DEFAULTS), 'config keys in schema order')
    })
  })

  test('the seed curl: config.policy=redis with config.redis.host (and the legacy redis_host)', async () => {
    const r = await h.client.form('POST', '/plugins', 'name=rate-limiting&config.minute=5&config.policy=redis&config.redis.host=127.0.0.1')
    const body = expectStatus(r, 201)
    assert.equal(body.config.policy, 'redis')
    assert.equal(body.config.redis.host, '127.0.0.1')
    // A second instance needs another scope: one per name and scope.
    await createService(h.client, { name: 'svc' })
    const legacy = expectStatus(
      await h.client.form('POST', '/services/svc/plugins', 'name=rate-limiting&config.hour=9&config.policy=redis&config.redis_host=10.0.0.1&config.redis_port=6380'),
      201
    )
    assert.deepEqual([legacy.config.redis.host, legacy.config.redis.port], ['10.0.0.1', 6380])
  })

  test('unknown plugin, missing name, non-object config, unknown field', async () => {
    expectViolation(await h.client.post('/plugins', { name: 'foo' }), {
      name: "plugin 'foo' not enabled; add it to the 'plugins' configuration property",
    })
    expectViolation(await h.client.post('/plugins', {}), { name: 'required field missing' })
    expectViolation(await h.client.post('/plugins', { name: 'prometheus', config: 'x' }), { config: 'expected a record' })
    expectViolation(await h.client.post('/plugins', { name: 'prometheus', config: { nope: true } }), {
      config: { nope: 'unknown field' },
    })
  })

  test('rate-limiting config rules: a period is required, longer periods may not be lower', async () => {
    const empty = await h.client.post('/plugins', { name: 'rate-limiting' })
    assert.equal(empty.status, 400)
    assert.deepEqual(empty.body.fields['@entity'], [
      "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
    ])
    expectViolation(await h.client.post('/plugins', { name: 'rate-limiting', config: { minute: 5, hour: 2 } }), {
      config: 'The limit for hour(2.0) cannot be lower than the limit for minute(5.0)',
    })
  })

  test('one instance per name and scope: a second global one is 409 with Kong message', async () => {
    expectStatus(await h.client.post('/plugins', { name: 'prometheus' }), 201)
    const dup = await h.client.post('/plugins', { name: 'prometheus' })
    assert.equal(dup.status, 409)
    assert.deepEqual(dup.body, {
      code: 5,
      name: 'unique constraint violation',
      message: 'UNIQUE violation detected on \'{consumer=null,name="prometheus",route=null,service=null}\'',
      fields: { name: 'prometheus', route: null, service: null, consumer: null },
    })
  })

  test('nested scopes come from the URL; deleting the service or route deletes its plugins', async () => {
    const s = await createService(h.client, { name: 'svc' })
    const r = await createRoute(h.client, { name: 'rt', service: { id: s.id } })
    const onService = expectStatus(await h.client.post('/services/svc/plugins', { name: 'prometheus' }), 201)
    assert.deepEqual(onService.service, { id: s.id })
    const onRoute = expectStatus(await h.client.post('/routes/rt/plugins', { name: 'prometheus' }), 201)
    assert.deepEqual(onRoute.route, { id: r.id })
    assert.equal(expectStatus(await h.client.get('/services/svc/plugins'), 200).data.length, 1)
    expectStatus(await h.client.get(`/routes/rt/plugins/${onRoute.id}`), 200)
    expectMessage(await h.client.get(`/services/svc/plugins/${onRoute.id}`), 404, 'Not found')
    assert.equal((await h.client.delete('/routes/rt')).status, 204)
    expectMessage(await h.client.get(`/plugins/${onRoute.id}`), 404, 'Not found')
    assert.equal((await h.client.delete('/services/svc')).status, 204)
    assert.deepEqual(expectStatus(await h.client.get('/plugins'), 200).data, [])
  })

  test('PATCH merges config leaves and toggles enabled; GET / lists enabled_in_cluster', async (t) => {
    await inEach(t, ['F', 'J'], async (enc) => {
      const p = expectStatus(await h.client.post('/plugins', { name: 'rate-limiting', config: { minute: 5, hour: 100 } }), 201)
      const patched = expectStatus(await h.client.patch(`/plugins/${p.id}`, { config: { minute: 7 }, enabled: false }, enc), 200)
      assert.deepEqual([patched.config.minute, patched.config.hour, patched.enabled], [7, 100, false])
      const root = expectStatus(await h.client.get('/'), 200)
      assert.deepEqual(root.plugins.enabled_in_cluster, ['rate-limiting'])
      assert.deepEqual(Object.keys(root.plugins.available_on_server).sort(), ['key-auth', 'prometheus', 'rate-limiting'])
      assert.equal((await h.client.delete(`/plugins/${p.id}`)).status, 204)
      assert.equal((await h.client.delete(`/plugins/${p.id}`)).status, 204)
    })
  })

  test('GET /plugins/enabled', async () => {
    assert.deepEqual(expectStatus(await h.client.get('/plugins/enabled'), 200), {
      enabled_plugins: ['key-auth', 'prometheus', 'rate-limiting'],
    })
  })

  test('schema endpoints: entity and plugin schemas with defaults, validate without storing', async () => {
    const up = expectStatus(await h.client.get('/schemas/upstreams'), 200)
    const slots = up.fields.find((f: Json) => 'slots' in f).slots
    assert.deepEqual(slots, { type: 'integer', between: [10, 65536], default: 10000 })
    const rl = expectStatus(await h.client.get('/schemas/plugins/rate-limiting'), 200)
    const config = rl.fields.find((f: Json) => 'config' in f).config
    assert.equal(config.type, 'record')
    assert.deepEqual(config.fields.find((f: Json) => 'policy' in f).policy.default, 'local')
    expectMessage(await h.client.get('/schemas/nope'), 404, "No entity named 'nope'")
    expectMessage(await h.client.get('/schemas/plugins/nope'), 404, "No plugin named 'nope'")
    expectMessage(await h.client.post('/schemas/upstreams/validate', { name: 'ok.test' }), 200, 'schema validation successful')
    expectViolation(await h.client.post('/schemas/upstreams/validate', { slots: 5 }), {
      name: 'required field missing',
      slots: 'value should be between 10 and 65536',
    })
    expectMessage(
      await h.client.post('/schemas/plugins/validate', { name: 'rate-limiting', config: { minute: 1 } }),
      200,
      'schema validation successful'
    )
    assert.deepEqual(expectStatus(await h.client.get('/upstreams'), 200).data, [], 'validate stores nothing')
  })
}
