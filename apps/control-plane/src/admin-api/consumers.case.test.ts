// Consumer cases (Kong 3.9's consumers entity and kong/api/routes/consumers.lua): creation in
// every encoding, the "at least one of username/custom_id" rule and uniqueness with Kong's
// exact bodies, lookup by username, `?custom_id=`, paging and tags, plugins scoped to a
// consumer, and the cascade when a consumer is deleted.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import { collectPages, createRoute, createService, expectMessage, expectStatus, expectViolation, inEach, newId } from './fixtures.js'
import type { AdminHarness } from './harness.js'

const AT_LEAST_ONE = "at least one of these fields must be non-empty: 'custom_id', 'username'"

export function runConsumerCases(h: AdminHarness): void {
  test('POST /consumers: Kong shape in every encoding', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(
        await h.client.post('/consumers', { username: 'alice', custom_id: 'team-a', tags: ['ai', 'team'] }, enc),
        201
      )
      assert.match(body.id, /^[0-9a-f-]{36}$/)
      assert.equal(typeof body.created_at, 'number')
      assert.equal(body.updated_at, body.created_at)
      assert.deepEqual(
        { ...body, id: 0, created_at: 0, updated_at: 0 },
        { id: 0, created_at: 0, updated_at: 0, username: 'alice', custom_id: 'team-a', tags: ['ai', 'team'] }
      )
      const onlyCustom = expectStatus(await h.client.post('/consumers', { custom_id: 'c-only' }, enc), 201)
      assert.equal(onlyCustom.username, null)
    })
  })

  test('neither username nor custom_id: Kong entity-check violation, exact body', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const r = await h.client.post('/consumers', { tags: ['x'] }, enc)
      assert.deepEqual(expectStatus(r, 400), {
        code: 2,
        name: 'schema violation',
        message: `schema violation (${AT_LEAST_ONE})`,
        fields: { '@entity': [AT_LEAST_ONE] },
      })
    })
    // Kong runs this check even when fields are invalid; a present but mistyped value counts.
    expectViolation(await h.client.post('/consumers', { nope: 1 }), { nope: 'unknown field', '@entity': [AT_LEAST_ONE] })
    expectViolation(await h.client.post('/consumers', { username: 5 }), { username: 'expected a string' })
  })

  test('an empty multipart or JSON body is a schema violation, not a parse error', async () => {
    const empty = await h.client.request('POST', '/consumers', { body: new FormData() })
    expectViolation(empty, { '@entity': [AT_LEAST_ONE] })
    expectViolation(await h.client.post('/consumers', {}), { '@entity': [AT_LEAST_ONE] })
  })

  test('username and custom_id are unique: 409 with Kong message', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice', custom_id: 'a' }), 201)
    const dupName = await h.client.post('/consumers', { username: 'alice' })
    assert.deepEqual(expectStatus(dupName, 409), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="alice"}'`,
      fields: { username: 'alice' },
    })
    const dupCustom = await h.client.post('/consumers', { username: 'bob', custom_id: 'a' })
    assert.deepEqual(expectStatus(dupCustom, 409), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{custom_id="a"}'`,
      fields: { custom_id: 'a' },
    })
  })

  test('GET/PATCH/PUT/DELETE by id or username', async (t) => {
    await inEach(t, ['F', 'J'], async (enc) => {
      const c = expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
      assert.deepEqual(expectStatus(await h.client.get('/consumers/alice'), 200), c)
      assert.deepEqual(expectStatus(await h.client.get(`/consumers/${c.id}`), 200), c)
      expectMessage(await h.client.get('/consumers/nobody'), 404, 'Not found')
      const patched = expectStatus(await h.client.patch('/consumers/alice', { custom_id: 'team-a' }, enc), 200)
      assert.deepEqual([patched.id, patched.username, patched.custom_id], [c.id, 'alice', 'team-a'])
      // PUT by username creates with that username.
      const put = expectStatus(await h.client.put('/consumers/carol', { custom_id: 'team-c' }, enc), 200)
      assert.deepEqual([put.username, put.custom_id], ['carol', 'team-c'])
      const replaced = expectStatus(await h.client.put('/consumers/carol', { tags: ['x'] }, enc), 200)
      assert.deepEqual([replaced.id, replaced.custom_id, replaced.tags], [put.id, null, ['x']])
      assert.equal((await h.client.delete('/consumers/carol')).status, 204)
      assert.equal((await h.client.delete('/consumers/carol')).status, 204)
      expectMessage(await h.client.get('/consumers/carol'), 404, 'Not found')
    })
  })

  test('PATCH that removes the last identifier: "when updating" entity check', async () => {
    expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    const r = await h.client.patch('/consumers/alice', { username: null })
    const msg = `when updating, ${AT_LEAST_ONE}`
    assert.deepEqual(expectStatus(r, 400), {
      code: 2,
      name: 'schema violation',
      message: `schema violation (${msg})`,
      fields: { '@entity': [msg] },
    })
    const missing = await h.client.patch(`/consumers/${newId()}`, { custom_id: 'x' })
    assert.equal(missing.status, 404)
    assert.equal(missing.body.code, 6)
  })

  test('GET /consumers?custom_id= finds one consumer; an empty value is 400', async () => {
    const c = expectStatus(await h.client.post('/consumers', { username: 'alice', custom_id: 'team-a' }), 201)
    expectStatus(await h.client.post('/consumers', { username: 'bob', custom_id: 'team-b' }), 201)
    assert.deepEqual(expectStatus(await h.client.get('/consumers?custom_id=team-a'), 200), { data: [c], next: null })
    const none = await h.client.get('/consumers?custom_id=nope')
    assert.equal(none.text.replace(/\s/g, ''), '{"data":[],"next":null}')
    expectMessage(await h.client.get('/consumers?custom_id='), 400, 'custom_id must be an unempty string')
  })

  test('paging and tags as for every entity', async () => {
    for (let i = 0; i < 5; i++) {
      expectStatus(await h.client.post('/consumers', { username: `u${i}`, tags: i % 2 ? ['odd'] : ['even'] }), 201)
    }
    const pages = await collectPages(h.client, '/consumers', 2)
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1])
    const first = expectStatus(await h.client.get('/consumers?size=2'), 200)
    assert.match(first.next, /^\/consumers\?offset=/)
    const odd = expectStatus(await h.client.get('/consumers?tags=odd'), 200)
    assert.deepEqual(odd.data.map((c: Json) => c.username).sort(), ['u1', 'u3'])
  })

  test('plugins scoped to a consumer, alone or with a route/service', async () => {
    const c = expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    const s = await createService(h.client, { name: 'svc' })
    const r = await createRoute(h.client, { name: 'rt', service: { id: s.id } })
    const onConsumer = expectStatus(
      await h.client.post('/consumers/alice/plugins', { name: 'rate-limiting', config: { minute: 3 } }),
      201
    )
    assert.deepEqual([onConsumer.consumer, onConsumer.route, onConsumer.service], [{ id: c.id }, null, null])
    const withRoute = expectStatus(
      await h.client.post('/plugins', { name: 'rate-limiting', config: { minute: 4 }, consumer: { username: 'alice' }, route: { id: r.id } }),
      201
    )
    assert.deepEqual([withRoute.consumer, withRoute.route], [{ id: c.id }, { id: r.id }])
    const listed = expectStatus(await h.client.get('/consumers/alice/plugins'), 200)
    assert.deepEqual(listed.data.map((p: Json) => p.id).sort(), [onConsumer.id, withRoute.id].sort())
    expectStatus(await h.client.get(`/consumers/alice/plugins/${onConsumer.id}`), 200)
    expectMessage(await h.client.get(`/consumers/nobody/plugins`), 404, 'Not found')
    // A second instance in the same scope is a unique violation.
    const dup = await h.client.post('/consumers/alice/plugins', { name: 'rate-limiting', config: { minute: 1 } })
    assert.equal(dup.status, 409)
    // key-auth cannot be scoped to a consumer (Kong's typedefs.no_consumer).
    expectViolation(await h.client.post('/consumers/alice/plugins', { name: 'key-auth' }), { consumer: 'value must be null' })
    // An unknown consumer reference.
    const missing = newId()
    const fk = await h.client.post('/plugins', { name: 'prometheus', consumer: { id: missing } })
    assert.deepEqual(expectStatus(fk, 400), {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${missing}"}' does not reference an existing 'consumers' entity.`,
      fields: { consumer: { id: missing } },
    })
  })

  test('deleting a consumer deletes its plugins and credentials; one outbox event', async () => {
    const c = expectStatus(await h.client.post('/consumers', { username: 'alice' }), 201)
    const p = expectStatus(await h.client.post('/consumers/alice/plugins', { name: 'rate-limiting', config: { minute: 3 } }), 201)
    const k = expectStatus(await h.client.post('/consumers/alice/key-auth', { key: 'secret-a' }), 201)
    assert.equal((await h.client.delete(`/consumers/${c.id}`)).status, 204)
    expectMessage(await h.client.get(`/plugins/${p.id}`), 404, 'Not found')
    expectMessage(await h.client.get(`/key-auths/${k.id}`), 404, 'Not found')
    const events = await h.events()
    assert.deepEqual(
      events.map((e) => [e.entity, e.op]),
      [
        ['consumers', 'upsert'],
        ['plugins', 'upsert'],
        ['keyauth_credentials', 'upsert'],
        ['consumers', 'delete'],
      ]
    )
  })
}
