// Upstream cases: reference §3.1 (fields, defaults, algorithm ↔ hash_on coupling, the
// healthchecks tree) and §8 cases 1–31, 97, 98 and 100.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import {
  UPSTREAM_DEFAULTS,
  collectPages,
  createTarget,
  createUpstream,
  expectMessage,
  expectStatus,
  expectViolation,
  inEach,
  newId,
  withoutMeta,
} from './fixtures.js'
import type { AdminHarness } from './harness.js'

const HASH_ON_MSG = 'expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture'
const CONSUMER_FALLBACK_MSG = 'expected one of: none, ip, header, cookie, path, query_arg, uri_capture'
const COND_HASH_ON = "failed conditional validation given value of field 'hash_on'"
const COND_FALLBACK = "failed conditional validation given value of field 'hash_fallback'"

export function runUpstreamCases(h: AdminHarness): void {
  test('POST with a name returns every default of §3.1 (case 1)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(await h.client.post('/upstreams', { name: 'my.upstream' }, enc), 201)
      assert.deepEqual(withoutMeta(body), { name: 'my.upstream', ...UPSTREAM_DEFAULTS })
      assert.match(body.id, /^[0-9a-f-]{36}$/)
      assert.ok(Number.isInteger(body.created_at), 'created_at is integer seconds')
      assert.equal(body.updated_at, body.created_at)
      assert.ok(Math.abs(body.created_at - Date.now() / 1000) < 60)
    })
  })

  test('POST echoes hashing fields and slots (cases 2–5)', async (t) => {
    const cases: { input: Json; expect: Json }[] = [
      {
        input: {
          slots: 10,
          hash_on: 'consumer',
          hash_fallback: 'ip',
          hash_on_header: 'HeaderName',
          hash_fallback_header: 'HeaderFallback',
        },
        expect: {
          slots: 10,
          hash_on: 'consumer',
          hash_fallback: 'ip',
          hash_on_header: 'HeaderName',
          hash_fallback_header: 'HeaderFallback',
          algorithm: 'consistent-hashing',
        },
      },
      {
        input: { hash_on: 'cookie', hash_on_cookie: 'CookieName1', hash_on_cookie_path: '/foo' },
        expect: { hash_on: 'cookie', hash_on_cookie: 'CookieName1', hash_on_cookie_path: '/foo' },
      },
      { input: { slots: 65536 }, expect: { slots: 65536 } },
      { input: { host_header: 'localhost' }, expect: { host_header: 'localhost' } },
    ]
    await inEach(t, FMJ, async (enc) => {
      for (const [i, c] of cases.entries()) {
        const body = expectStatus(await h.client.post('/upstreams', { name: `u${i}`, ...c.input }, enc), 201)
        for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(body[k], v, `case ${i}: ${k}`)
      }
    })
  })

  test('POST with malformed JSON is 400 Cannot parse JSON body (case 6)', async () => {
    const r = await h.client.request('POST', '/upstreams', {
      body: '{"hello": "world"',
      headers: { 'content-type': 'application/json' },
    })
    expectMessage(r, 400, 'Cannot parse JSON body')
  })

  test('POST without a name is exactly Kong schema violation body (case 7)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const r = await h.client.post('/upstreams', { slots: 50 }, enc)
      assert.deepEqual(expectStatus(r, 400), {
        code: 2,
        name: 'schema violation',
        message: 'schema violation (name: required field missing)',
        fields: { name: 'required field missing' },
      })
    })
  })

  const invalid: { name: string; input: Json; fields: Json }[] = [
    {
      name: 'case 8: name not a hostname',
      input: { name: 'some invalid host name' },
      fields: { name: "Invalid name ('some invalid host name'); must be a valid hostname" },
    },
    {
      name: 'name is an IP',
      input: { name: '10.0.0.1' },
      fields: { name: "Invalid name ('10.0.0.1'); no ip addresses allowed" },
    },
    {
      name: 'name has a port',
      input: { name: 'x.test:80' },
      fields: { name: "Invalid name ('x.test:80'); no port allowed" },
    },
    {
      name: 'all-digit name is an IPv4',
      input: { name: '1234' },
      fields: { name: "Invalid name ('1234'); must be a valid hostname" },
    },
    {
      name: 'case 9: slots above 65536',
      input: { name: 'my.upstream', slots: 65537 },
      fields: { slots: 'value should be between 10 and 65536' },
    },
    {
      name: 'slots below 10',
      input: { name: 'my.upstream', slots: 9 },
      fields: { slots: 'value should be between 10 and 65536' },
    },
    {
      name: 'case 10: unknown hash_on',
      input: { name: 'my.upstream', hash_on: 'something that is invalid' },
      fields: { hash_on: HASH_ON_MSG },
    },
    {
      name: 'unknown algorithm',
      input: { name: 'my.upstream', algorithm: 'random' },
      fields: { algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency' },
    },
    {
      name: 'case 11: unknown hash_fallback',
      input: { name: 'my.upstream', hash_on: 'consumer', hash_fallback: 'something that is invalid' },
      fields: { '@entity': [COND_HASH_ON], hash_fallback: CONSUMER_FALLBACK_MSG },
    },
    {
      name: 'case 12: fallback equal to hash_on',
      input: { name: 'my.upstream', hash_on: 'consumer', hash_fallback: 'consumer' },
      fields: { '@entity': [COND_HASH_ON], hash_fallback: CONSUMER_FALLBACK_MSG },
    },
    {
      name: 'case 14: same header twice',
      input: {
        name: 'my.upstream',
        hash_on: 'header',
        hash_fallback: 'header',
        hash_on_header: 'headername',
        hash_fallback_header: 'headername',
      },
      fields: { '@entity': ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"] },
    },
    {
      name: 'case 15: cookie hashing allows no fallback',
      input: {
        name: 'my.upstream',
        hash_on: 'cookie',
        hash_on_cookie: 'cookiename',
        hash_fallback: 'header',
        hash_fallback_header: 'Cool-Header',
      },
      fields: { '@entity': [COND_HASH_ON], hash_fallback: 'expected one of: none' },
    },
    {
      name: 'case 16: header hashing without the header',
      input: { name: 'my.upstream', hash_on: 'header', hash_fallback: 'header', hash_fallback_header: 'HeaderName' },
      fields: { '@entity': [COND_HASH_ON], hash_on_header: 'required field missing' },
    },
    {
      name: 'case 17: header fallback without the header',
      input: { name: 'my.upstream', hash_on: 'consumer', hash_fallback: 'header' },
      fields: { '@entity': [COND_FALLBACK], hash_fallback_header: 'required field missing' },
    },
    {
      name: 'case 19: cookie path not a path',
      input: { name: 'my.upstream', hash_on: 'cookie', hash_on_cookie: 'hashme', hash_on_cookie_path: 'not a path' },
      fields: { hash_on_cookie_path: 'should start with: /' },
    },
    {
      name: 'query_arg hashing without the argument',
      input: { name: 'my.upstream', hash_on: 'query_arg' },
      fields: { '@entity': [COND_HASH_ON], hash_on_query_arg: 'required field missing' },
    },
    {
      name: 'host_header not a hostname',
      input: { name: 'my.upstream', host_header: 'a hostname' },
      fields: { host_header: 'invalid hostname: a hostname' },
    },
    {
      name: 'tag with a comma',
      input: { name: 'my.upstream', tags: ['a,b'] },
      fields: { tags: ["invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"] },
    },
  ]
  for (const c of invalid) {
    test(`POST rejects ${c.name}`, async (t) => {
      await inEach(t, FMJ, async (enc) => {
        expectViolation(await h.client.post('/upstreams', c.input, enc), c.fields)
      })
    })
  }

  test('POST reports Kong messages for bad header and cookie names (cases 13, 18)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const header = await h.client.post(
        '/upstreams',
        {
          name: 'my.upstream',
          hash_on: 'header',
          hash_fallback: 'consumer',
          hash_on_header: 'not a <> valid <> header name',
        },
        enc
      )
      assert.equal(header.status, 400)
      assert.equal(
        header.body.fields.hash_on_header,
        "bad header name 'not a <> valid <> header name', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
      )
      const cookie = await h.client.post(
        '/upstreams',
        { name: 'my.upstream', hash_on: 'cookie', hash_on_cookie: 'not a <> valid <> cookie name' },
        enc
      )
      assert.equal(cookie.status, 400)
      assert.equal(
        cookie.body.fields.hash_on_cookie,
        'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\"/?={}[] are not allowed.'
      )
    })
  })

  test('healthchecks values out of range report nested fields', async () => {
    const cases: { healthchecks: Json; fields: Json }[] = [
      {
        healthchecks: { active: { timeout: -1 } },
        fields: { active: { timeout: 'value should be between 0 and 65535' } },
      },
      {
        healthchecks: { active: { concurrency: 0 } },
        fields: { active: { concurrency: 'value should be between 1 and 2147483648' } },
      },
      {
        healthchecks: { passive: { unhealthy: { http_failures: 256 } } },
        fields: { passive: { unhealthy: { http_failures: 'value should be between 0 and 255' } } },
      },
      {
        healthchecks: { active: { healthy: { http_statuses: [200, 99] } } },
        fields: { active: { healthy: { http_statuses: [null, 'value should be between 100 and 999'] } } },
      },
      { healthchecks: { threshold: 101 }, fields: { threshold: 'value should be between 0 and 100' } },
      { healthchecks: { active: { http_path: 'ovo' } }, fields: { active: { http_path: 'should start with: /' } } },
      { healthchecks: { active: { http_path: '' } }, fields: { active: { http_path: 'length must be at least 1' } } },
      {
        healthchecks: { active: { healthy: { http_statuses: 200 } } },
        fields: { active: { healthy: { http_statuses: 'expected an array' } } },
      },
      {
        healthchecks: { active: { healthy: { successes: 1.5 } } },
        fields: { active: { healthy: { successes: 'expected an integer' } } },
      },
      {
        healthchecks: { active: { type: 'ftp' } },
        fields: { active: { type: 'expected one of: tcp, http, https, grpc, grpcs' } },
      },
      { healthchecks: { active: { https_sni: '1.2.3.4' } }, fields: { active: { https_sni: 'must not be an IP' } } },
      { healthchecks: { active: { nope: 1 } }, fields: { active: { nope: 'unknown field' } } },
    ]
    for (const c of cases) {
      const r = await h.client.post('/upstreams', { name: 'hc.test', healthchecks: c.healthchecks })
      expectViolation(r, { healthchecks: c.fields })
    }
  })

  test('algorithm and hash_on are coupled on every write (case 97)', async () => {
    const cases: { input: Json; algorithm: string; hash_on: string }[] = [
      { input: { hash_on: 'ip' }, algorithm: 'consistent-hashing', hash_on: 'ip' },
      { input: { algorithm: 'least-connections', hash_on: 'ip' }, algorithm: 'least-connections', hash_on: 'none' },
      { input: { algorithm: 'latency', hash_on: 'consumer' }, algorithm: 'latency', hash_on: 'none' },
      { input: { algorithm: 'round-robin', hash_on: 'consumer' }, algorithm: 'consistent-hashing', hash_on: 'consumer' },
      { input: { algorithm: 'consistent-hashing' }, algorithm: 'consistent-hashing', hash_on: 'none' },
      { input: { algorithm: 'consistent-hashing', hash_on: 'none' }, algorithm: 'round-robin', hash_on: 'none' },
      { input: { hash_on: null }, algorithm: 'round-robin', hash_on: 'none' },
      { input: { algorithm: 'least-connections' }, algorithm: 'least-connections', hash_on: 'none' },
    ]
    for (const [i, c] of cases.entries()) {
      const body = expectStatus(await h.client.post('/upstreams', { name: `u${i}`, ...c.input }), 201)
      assert.equal(body.algorithm, c.algorithm, `case ${i} algorithm`)
      assert.equal(body.hash_on, c.hash_on, `case ${i} hash_on`)
    }
    const u = await createUpstream(h.client, 'patched')
    const hashed = expectStatus(await h.client.patch('/upstreams/patched', { hash_on: 'ip' }), 200)
    assert.equal(hashed.algorithm, 'consistent-hashing')
    const leastConn = expectStatus(await h.client.patch(`/upstreams/${u.id}`, { algorithm: 'least-connections' }), 200)
    assert.deepEqual([leastConn.algorithm, leastConn.hash_on], ['least-connections', 'none'])
  })

  test('POST of an existing name is 409 code 5 (case 20)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      expectStatus(await h.client.post('/upstreams', { name: 'my.upstream' }, enc), 201)
      const r = await h.client.post('/upstreams', { name: 'my.upstream' }, enc)
      assert.deepEqual(expectStatus(r, 409), {
        code: 5,
        name: 'unique constraint violation',
        message: 'UNIQUE violation detected on \'{name="my.upstream"}\'',
        fields: { name: 'my.upstream' },
      })
    })
  })

  test('PUT by name creates with 200 (case 21)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(await h.client.put('/upstreams/my-upstream', { created_at: 1461276890000 }, enc), 200)
      assert.equal(body.name, 'my-upstream')
      assert.equal(typeof body.id, 'string')
      assert.equal(body.slots, 10000)
      assert.equal(body.created_at, 1461276890000)
      const again = expectStatus(await h.client.get('/upstreams/my-upstream'), 200)
      assert.deepEqual(again, body)
    })
  })

  test('a created_at beyond the bigint column is a schema violation, not a 500', async () => {
    const r = await h.client.put('/upstreams/my-upstream', { created_at: 1e20 })
    expectViolation(r, { created_at: 'value should be between -9007199254740991 and 9007199254740991' })
  })

  test('PUT by id replaces the upstream, keeping its id (case 22)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const u = await createUpstream(h.client, 'my-upstream', { slots: 100, tags: ['old'] })
      const body = expectStatus(
        await h.client.put(`/upstreams/${u.id}`, { name: 'my-new-upstream', slots: 123, created_at: u.created_at }, enc),
        200
      )
      assert.equal(body.id, u.id)
      assert.equal(body.name, 'my-new-upstream')
      assert.equal(body.slots, 123)
      // Replace, not merge: unsent fields go back to their defaults.
      assert.equal(body.tags, null)
      expectStatus(await h.client.get('/upstreams/my-upstream'), 404)
    })
  })

  test('POST uses a supplied id (lower-cased); an existing one is 400 code 3', async () => {
    const id = newId()
    const body = expectStatus(await h.client.post('/upstreams', { name: 'a.test', id: id.toUpperCase() }), 201)
    assert.equal(body.id, id)
    assert.deepEqual(expectStatus(await h.client.post('/upstreams', { name: 'b.test', id }), 400), {
      code: 3,
      name: 'primary key violation',
      message: `primary key violation on key '{id="${id}"}'`,
      fields: { id },
    })
    expectViolation(await h.client.post('/upstreams', { name: 'c.test', id: 'nope' }), { id: 'expected a valid UUID' })
    const kept = expectStatus(await h.client.post('/upstreams', { name: 'd.test', created_at: 5 }), 201)
    assert.equal(kept.created_at, 5, 'a supplied created_at is kept')
    assert.ok(kept.updated_at > 5, 'updated_at is always the server time')
  })

  test('PUT of a new id without a name is a schema violation (case 23)', async () => {
    const r = await h.client.put('/upstreams/00000000-0000-0000-0000-000000000001', {})
    expectStatus(r, 400)
    assert.equal(r.body.message, 'schema violation (name: required field missing)')
  })

  test('PUT with the name in the path wins over the body name', async () => {
    const body = expectStatus(await h.client.put('/upstreams/path-name', { name: 'body-name', slots: 20 }), 200)
    assert.equal(body.name, 'path-name')
    assert.equal(body.slots, 20)
  })

  test('an invalid name in the path is 400 code 10 (case 24)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const r = await h.client.put('/upstreams/1.2.3.4', { created_at: 1461276890000 }, enc)
      assert.deepEqual(expectStatus(r, 400), {
        code: 10,
        name: 'invalid unique name',
        message: "Invalid name ('1.2.3.4'); no ip addresses allowed",
      })
    })
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const r = await h.client.request(method, '/upstreams/1.2.3.4')
      assert.equal(r.status, 400, method)
      assert.equal(r.body.code, 10, method)
    }
    const port = await h.client.get('/upstreams/a.test:80')
    assert.equal(port.status, 400)
    assert.equal(port.body.message, "Invalid name ('a.test:80'); no port allowed")
    expectMessage(await h.client.get('/upstreams/invalid'), 404, 'Not found')
  })

  test('GET lists and pages 10 upstreams (case 25)', async () => {
    for (let i = 0; i < 10; i++) await createUpstream(h.client, `upstream-${i}`)
    const all = expectStatus(await h.client.get('/upstreams'), 200)
    assert.equal(all.data.length, 10)
    assert.equal(all.next, null)
    assert.equal('offset' in all, false, 'no offset key on the last page')
    const ids = all.data.map((u: Json) => u.id)
    assert.deepEqual(ids, [...ids].sort(), 'ordered by id')
    const pages = await collectPages(h.client, '/upstreams', 3)
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1])
    assert.deepEqual(pages.flat().map((u) => u.id), ids, 'pages are disjoint and complete')
    expectStatus(await h.client.get('/upstreams?foo=bar'), 200)
    const withBody = await h.client.raw('GET', '/upstreams', { 'content-type': 'application/json' }, '{"hello": ')
    assert.equal(withBody.status, 200)
    assert.equal(withBody.body.data.length, 10)
  })

  test('GET with an empty tags filter is 400 code 11 (case 26)', async () => {
    const r = await h.client.get('/upstreams?tags=')
    assert.deepEqual(expectStatus(r, 400), {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: cannot be null)',
      options: { tags: 'cannot be null' },
    })
  })

  test('an empty collection is exactly {"data":[],"next":null} (case 27)', async () => {
    const r = await h.client.get('/upstreams')
    assert.deepEqual(expectStatus(r, 200), { data: [], next: null })
    assert.ok(r.text.includes('"data":[]'), r.text)
  })

  test('DELETE by id and by name is 204, also with targets (cases 28, 29)', async () => {
    const a = await createUpstream(h.client, 'a.test')
    await createUpstream(h.client, 'b.test')
    const c = await createUpstream(h.client, 'my-upstream')
    const del = await h.client.delete(`/upstreams/${a.id}`)
    assert.equal(del.status, 204)
    assert.equal(del.text, '')
    assert.equal((await h.client.delete('/upstreams/b.test')).status, 204)
    expectStatus(await h.client.get('/upstreams/b.test'), 404)

    expectStatus(await h.client.post('/upstreams/my-upstream/targets', { target: '127.0.0.1:8000' }), 201)
    assert.equal((await h.client.delete('/upstreams/my-upstream/targets/127.0.0.1:8000')).status, 204)
    expectStatus(await h.client.get('/upstreams/my-upstream'), 200)
    await createTarget(h.client, 'my-upstream', 'api.test:80')
    assert.equal((await h.client.delete('/upstreams/my-upstream')).status, 204)
    expectStatus(await h.client.get(`/upstreams/${c.id}`), 404)
    assert.equal((await h.client.delete('/upstreams/my-upstream')).status, 204, 'absent is still 204')
    assert.equal((await h.client.delete(`/upstreams/${newId()}`)).status, 204)
  })

  test('deleting an upstream cascades its targets', async () => {
    const u = await createUpstream(h.client, 'cascade.test')
    const t1 = await createTarget(h.client, 'cascade.test', 'a.test:80')
    await createTarget(h.client, 'cascade.test', 'b.test:80')
    const other = await createUpstream(h.client, 'other.test')
    await createTarget(h.client, 'other.test', 'a.test:80')
    assert.equal((await h.client.delete(`/upstreams/${u.id}`)).status, 204)
    assert.equal(await h.cp.store.daos.targets.findById(h.cp.store.q, t1.id), undefined)
    const remaining = await h.cp.store.daos.targets.all(h.cp.store.q)
    assert.deepEqual(remaining.map((t) => (t['upstream'] as { id: string }).id), [other.id])
    // Re-creating the name starts with no targets.
    await createUpstream(h.client, 'cascade.test')
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/cascade.test/targets'), 200).data, [])
  })

  test('collection methods other than GET/POST are 405 (case 30)', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH']) {
      expectMessage(await h.client.request(method, '/upstreams'), 405, 'Method not allowed')
    }
    expectMessage(await h.client.post('/upstreams/some.test', { name: 'x' }), 405, 'Method not allowed')
  })

  test('size pages follow offsets (case 31)', async () => {
    for (const name of ['a.test', 'b.test', 'c.test']) await createUpstream(h.client, name)
    const first = expectStatus(await h.client.get('/upstreams?size=1'), 200)
    assert.equal(first.data.length, 1)
    assert.ok(first.offset)
    assert.equal(first.next, `/upstreams?offset=${encodeURIComponent(first.offset)}&size=1`)
    const second = expectStatus(await h.client.get(`/upstreams?size=1&offset=${encodeURIComponent(first.offset)}`), 200)
    assert.equal(second.data.length, 1)
    assert.ok(second.offset)
    assert.notEqual(second.data[0].id, first.data[0].id)
    const two = expectStatus(await h.client.get('/upstreams?size=2'), 200)
    assert.equal(two.data.length, 2)
    assert.ok(two.offset)
  })

  test('GET by id and by name return the same upstream; missing is 404', async () => {
    const u = await createUpstream(h.client, 'Mixed-Case.test')
    assert.deepEqual(expectStatus(await h.client.get(`/upstreams/${u.id}`), 200), u)
    assert.deepEqual(expectStatus(await h.client.get(`/upstreams/${u.id.toUpperCase()}`), 200), u)
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/Mixed-Case.test'), 200), u)
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/Mixed-Case.test/'), 200), u, 'trailing slash')
    expectMessage(await h.client.get(`/upstreams/${newId()}`), 404, 'Not found')
  })

  test('PATCH of a missing upstream is 404 with the code-6 body (case 100)', async () => {
    const byName = await h.client.patch('/upstreams/not-there', { slots: 20 })
    assert.deepEqual(expectStatus(byName, 404), {
      code: 6,
      name: 'not found',
      message: 'could not find the entity with \'{name="not-there"}\'',
      fields: { name: 'not-there' },
    })
    const id = newId()
    // The not-found check comes before body validation.
    const byId = await h.client.patch(`/upstreams/${id}`, { slots: 'many' })
    assert.deepEqual(expectStatus(byId, 404), {
      code: 6,
      name: 'not found',
      message: `could not find the entity with primary key '{id="${id}"}'`,
      fields: { id },
    })
  })

  test('PATCH updates fields, bumps updated_at and refuses a taken name', async () => {
    const u = await createUpstream(h.client, 'one.test', { tags: ['a'] })
    await createUpstream(h.client, 'two.test')
    const body = expectStatus(await h.client.patch('/upstreams/one.test', { slots: 20, tags: ['b', 'b', 'c'] }), 200)
    assert.equal(body.id, u.id)
    assert.equal(body.slots, 20)
    assert.deepEqual(body.tags, ['b', 'c'], 'tags are a set')
    assert.equal(body.created_at, u.created_at)
    assert.ok(body.updated_at >= u.updated_at)
    const taken = await h.client.patch('/upstreams/one.test', { name: 'two.test' })
    assert.equal(expectStatus(taken, 409).code, 5)
    assert.deepEqual(taken.body.fields, { name: 'two.test' })
    expectViolation(await h.client.patch('/upstreams/one.test', { slots: 1 }), {
      slots: 'value should be between 10 and 65536',
    })
    // A rejected PATCH changes nothing.
    assert.equal(expectStatus(await h.client.get('/upstreams/one.test'), 200).slots, 20)
  })

  test('PATCH healthchecks with dotted form keys changes only that leaf (case 98)', async () => {
    const u = await createUpstream(h.client, 'hc.test')
    const r = await h.client.form('PATCH', '/upstreams/hc.test', 'healthchecks.active.healthy.interval=5')
    const body = expectStatus(r, 200)
    const expected = structuredClone(UPSTREAM_DEFAULTS.healthchecks) as Json
    expected.active.healthy.interval = 5
    assert.deepEqual(body.healthchecks, expected)
    assert.deepEqual(withoutMeta({ ...body, healthchecks: UPSTREAM_DEFAULTS.healthchecks }), withoutMeta(u))

    // Arrays are replaced wholesale; other leaves keep their stored values.
    const statuses = await h.client.form(
      'PATCH',
      '/upstreams/hc.test',
      'healthchecks.active.unhealthy.http_statuses=500&healthchecks.active.unhealthy.http_statuses=503&healthchecks.threshold=25.5'
    )
    const after = expectStatus(statuses, 200)
    expected.active.unhealthy.http_statuses = [500, 503]
    expected.threshold = 25.5
    assert.deepEqual(after.healthchecks, expected)

    // The same through JSON: a nested object merges, it does not replace the record.
    const nested = { healthchecks: { passive: { unhealthy: { timeouts: 7 } } } }
    const json = expectStatus(await h.client.patch('/upstreams/hc.test', nested), 200)
    expected.passive.unhealthy.timeouts = 7
    assert.deepEqual(json.healthchecks, expected)
  })

  test('healthchecks headers map takes bracketed keys on writes', async () => {
    const r = await h.client.form(
      'POST',
      '/upstreams',
      'name=hdr.test&healthchecks.active.headers[x-foo]=bar&healthchecks.active.headers.x-two=2'
    )
    const body = expectStatus(r, 201)
    assert.deepEqual(body.healthchecks.active.headers, { 'x-foo': ['bar'], 'x-two': ['2'] })
  })
}
