// Route cases: reference §3.4 (defaults, the protocol subschemas) and §8 cases 69–86,
// including the route's foreign-entity endpoint `/routes/{r}/service`.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FJ, type Json } from './client.js'
import {
  ROUTE_DEFAULTS,
  SERVICE_PROTOCOLS_MSG,
  createRoute,
  createService,
  expectMessage,
  expectStatus,
  expectViolation,
  inEach,
  newId,
  withoutMeta,
} from './fixtures.js'
import type { AdminHarness } from './harness.js'

const HTTPS_NEEDS = "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"

export function runRouteCases(h: AdminHarness): void {
  test('OPTIONS lists the allowed methods (case 69)', async () => {
    const r = await h.client.request('OPTIONS', '/routes')
    assert.equal(r.status, 204)
    assert.equal(r.text, '')
    assert.equal(r.headers.get('allow'), 'GET, HEAD, OPTIONS, POST')
    assert.equal(r.headers.get('access-control-allow-methods'), 'GET, HEAD, OPTIONS, POST')
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    const one = await h.client.request('OPTIONS', '/routes/test')
    assert.equal(one.status, 204)
    assert.equal(one.headers.get('allow'), 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT')
  })

  test('POST with hosts, headers and a service (case 70)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const s = await createService(h.client)
      const input = {
        protocols: ['http'],
        hosts: ['my.route.test'],
        headers: { location: ['my-location'] },
        service: { id: s.id },
      }
      const body = expectStatus(await h.client.post('/routes', input, enc), 201)
      assert.deepEqual(withoutMeta(body), { ...ROUTE_DEFAULTS, ...input })
      assert.ok(Number.isInteger(body.created_at))
    })
  })

  test('grpc routes default strip_path to false; service is optional (case 71)', async () => {
    const body = expectStatus(await h.client.post('/routes', { protocols: ['grpc', 'grpcs'], hosts: ['my.route.test'] }), 201)
    assert.equal(body.strip_path, false)
    assert.deepEqual(body.protocols, ['grpc', 'grpcs'])
    assert.equal(body.service, null)
  })

  test('a service may be referenced by name (case 72)', async () => {
    const s = await createService(h.client, { name: 'by-name' })
    const body = expectStatus(await h.client.post('/routes', { paths: ['/x'], service: { name: 'by-name' } }), 201)
    assert.deepEqual(body.service, { id: s.id })
    const form = await h.client.form('POST', '/routes', 'paths=/y&service.name=by-name')
    assert.deepEqual(expectStatus(form, 201).service, { id: s.id })
  })

  test('an empty route reports the https requirement exactly (case 73)', async (t) => {
    const expected = {
      code: 2,
      name: 'schema violation',
      message: `schema violation (${HTTPS_NEEDS})`,
      fields: { '@entity': [HTTPS_NEEDS] },
    }
    await inEach(t, FJ, async (enc) => {
      const empty = await h.client.request('POST', '/routes', enc === 'J'
        ? { body: '{}', headers: { 'content-type': 'application/json' } }
        : { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      assert.deepEqual(expectStatus(empty, 400), expected)
      assert.deepEqual(expectStatus(await h.client.post('/routes', { protocols: ['https'] }, enc), 400), expected)
    })
  })

  test('unknown protocols are positional errors (case 74)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const r = await h.client.post('/routes', { methods: ['GET'], protocols: ['foo', 'http'] }, enc)
      const body = expectStatus(r, 400)
      assert.equal(body.message, `schema violation (protocols.1: ${SERVICE_PROTOCOLS_MSG})`)
      assert.deepEqual(body.fields, { protocols: [SERVICE_PROTOCOLS_MSG] })
      const both = await h.client.post(
        '/routes',
        { methods: ['GET'], protocols: ['foo', 'http'], service: { protocol: 'foo' } },
        enc
      )
      assert.equal(
        expectStatus(both, 400).message,
        `2 schema violations (protocols.1: ${SERVICE_PROTOCOLS_MSG}; service.protocol: ${SERVICE_PROTOCOLS_MSG})`
      )
    })
  })

  test('an unresolvable service name is 400 code 13 (case 75)', async () => {
    const r = await h.client.post('/routes', { methods: ['GET'], service: { name: 'non-existing' } })
    const text = "the foreign key cannot be resolved with '{name=\"non-existing\"}' for an existing 'services' entity"
    assert.deepEqual(expectStatus(r, 400), {
      code: 13,
      name: 'foreign keys unresolved',
      message: `foreign key unresolved (service.name: ${text})`,
      fields: { service: { name: text } },
    })
  })

  test('a service id that does not exist is 400 code 4', async () => {
    const id = newId()
    const r = await h.client.post('/routes', { methods: ['GET'], service: { id } })
    assert.deepEqual(expectStatus(r, 400), {
      code: 4,
      name: 'foreign key violation',
      message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
      fields: { service: { id } },
    })
    expectViolation(await h.client.post('/routes', { methods: ['GET'], service: { id: 'nope' } }), {
      service: { id: 'expected a valid UUID' },
    })
  })

  test('a service without a key is missing primary key (case 76)', async () => {
    const expected = {
      code: 2,
      name: 'schema violation',
      message: 'schema violation (service.id: missing primary key)',
      fields: { service: { id: 'missing primary key' } },
    }
    const form = await h.client.form('POST', '/routes', 'methods=GET&service.name=')
    assert.deepEqual(expectStatus(form, 400), expected)
    assert.deepEqual(expectStatus(await h.client.post('/routes', { methods: ['GET'], service: { name: null } }), 400), expected)
    assert.deepEqual(
      expectStatus(await h.client.post('/routes', { methods: ['GET'], service: { protocol: 'http' } }), 400),
      expected
    )
    // A bare string is not a reference either.
    const bare = await h.client.form('POST', '/routes', `methods=GET&service=${newId()}`)
    assert.equal(expectStatus(bare, 400).code, 2)
  })

  test('invalid size and offset are exact code 9 / code 7 bodies (cases 77, 78)', async () => {
    assert.deepEqual(expectStatus(await h.client.get('/routes?size=x'), 400), {
      code: 9,
      name: 'invalid size',
      message: 'size must be a number',
    })
    assert.deepEqual(expectStatus(await h.client.get('/routes?offset=x'), 400), {
      code: 7,
      name: 'invalid offset',
      message: "'x' is not a valid offset: bad base64 encoding",
    })
    assert.equal(expectStatus(await h.client.get('/routes?offset=|potato|'), 400).code, 7)
  })

  test('collection methods other than GET/POST are 405 (case 79)', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH']) {
      expectMessage(await h.client.request(method, '/routes'), 405, 'Method not allowed')
    }
  })

  test('PUT creates with 200 by id or by name (case 80)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const s = await createService(h.client)
      const id = newId()
      const input = { paths: ['/updated-paths'], service: { id: s.id } }
      const body = expectStatus(await h.client.put(`/routes/${id}`, input, enc), 200)
      assert.equal(body.id, id)
      assert.equal(body.hosts, null)
      assert.equal(body.methods, null)
      assert.deepEqual(body.paths, ['/updated-paths'])
      const named = expectStatus(await h.client.put('/routes/my-route', { paths: ['/r'], service: { id: s.id } }, enc), 200)
      assert.equal(named.name, 'my-route')
    })
  })

  test('PUT validates like POST (case 81)', async () => {
    const r = await h.client.put(`/routes/${newId()}`, { methods: ['GET'], protocols: ['foo', 'http'] })
    assert.equal(expectStatus(r, 400).message, `schema violation (protocols.1: ${SERVICE_PROTOCOLS_MSG})`)
    const route = await createRoute(h.client)
    const bad = await h.client.put(`/routes/${route.id}`, { paths: ['/'], regex_priority: 'foobar' })
    assert.equal(expectStatus(bad, 400).message, 'schema violation (regex_priority: expected an integer)')
  })

  test('grpc subschema rules (case 82)', async () => {
    const cases: { input: Json; fields: Json }[] = [
      {
        input: { protocols: ['grpc', 'grpcs'], paths: ['/'], strip_path: true },
        fields: { strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'" },
      },
      {
        input: { protocols: ['grpc', 'grpcs'], paths: ['/'], methods: ['GET'] },
        fields: { methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" },
      },
      {
        input: { protocols: ['grpc', 'grpcs'] },
        fields: { '@entity': ["must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'"] },
      },
      {
        input: { protocols: ['grpc'] },
        fields: { '@entity': ["must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'"] },
      },
    ]
    for (const c of cases) expectViolation(await h.client.post('/routes', c.input), c.fields)
  })

  test('other route field rules', async () => {
    const cases: { input: Json; fields: Json }[] = [
      {
        input: { protocols: ['http'] },
        fields: { '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"] },
      },
      {
        input: { protocols: ['http', 'tcp'], paths: ['/'] },
        fields: { protocols: "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')" },
      },
      {
        // The first protocol picks the subschema, whose own rules still apply.
        input: { protocols: ['tls', 'grpc', 'http'], paths: ['/'] },
        fields: {
          protocols: "these sets are mutually exclusive: ('tcp', 'tls', 'udp'), ('grpc', 'grpcs'), ('http', 'https')",
          paths: "cannot set 'paths' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'",
        },
      },
      { input: { methods: ['get'] }, fields: { methods: ['invalid value: get'] } },
      { input: { paths: ['/a/../b'] }, fields: { paths: ["non-normalized path, consider use '/b' instead"] } },
      { input: { paths: ['/ok', 'bad'] }, fields: { paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'] } },
      { input: { paths: ['~abc'] }, fields: { paths: ['should start with: / (fixed path) or ~/ (regex path)'] } },
      { input: { paths: ['/a//b'] }, fields: { paths: ['must not have empty segments'] } },
      { input: { paths: ['/a%zz'] }, fields: { paths: ["invalid url-encoded value: '%zz'"] } },
      { input: { hosts: ['example.com:1000000'] }, fields: { hosts: ['invalid port number'] } },
      { input: { hosts: ['a.test'], headers: { HoSt: ['a.test'] } }, fields: { headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" } },
      { input: { hosts: ['a.test'], headers: { location: 'x' } }, fields: { headers: 'expected an array' } },
      { input: { hosts: ['a.test'], headers: { location: [5] } }, fields: { headers: ['expected a string'] } },
      { input: { hosts: ['a.test'], headers: { location: [''] } }, fields: { headers: ['length must be at least 1'] } },
      { input: { hosts: ['a.test'], headers: ['x-a'] }, fields: { headers: 'expected a string' } },
      { input: { protocols: ['https'], snis: ['foo.*.test'] }, fields: { snis: ['wildcard must be leftmost or rightmost character'] } },
      { input: { protocols: ['https'], snis: ['*.foo.*'] }, fields: { snis: ['only one wildcard must be specified'] } },
      { input: { protocols: ['https'], snis: ['10.0.0.1'] }, fields: { snis: ['must not be an IP'] } },
      { input: { protocols: ['https'], snis: ['a.test:443'] }, fields: { snis: ['must not have a port'] } },
      {
        input: { protocols: ['http'], hosts: ['a.test'], snis: ['a.test'] },
        fields: { snis: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'" },
      },
      {
        input: { headers: { host: ['a.test'] } },
        fields: { headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" },
      },
      {
        input: { hosts: ['a.test'], https_redirect_status_code: 303 },
        fields: { https_redirect_status_code: 'expected one of: 426, 301, 302, 307, 308' },
      },
      { input: { hosts: ['*.a.*'] }, fields: { hosts: ['invalid wildcard: must have at most one wildcard'] } },
      { input: { hosts: ['a.test'], path_handling: 'v2' }, fields: { path_handling: 'expected one of: v0, v1' } },
    ]
    for (const c of cases) expectViolation(await h.client.post('/routes', c.input), c.fields)
    const repeated = { methods: ['GET', 'GET', 'POST'], hosts: ['a.test', 'a.test'] }
    const sets = expectStatus(await h.client.post('/routes', repeated), 201)
    assert.deepEqual(sets.methods, ['GET', 'POST'], 'methods is a set')
    assert.deepEqual(sets.hosts, ['a.test', 'a.test'], 'hosts is an array')
  })

  test('PATCH nulls and empties fields; missing is 404 (case 83)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const route = await createRoute(h.client, { methods: ['GET'], hosts: ['a.test'] })
      const body = expectStatus(
        await h.client.patch(`/routes/${route.id}`, { methods: null, hosts: null, paths: ['/updated-paths'] }, enc),
        200
      )
      assert.deepEqual([body.methods, body.hosts, body.paths], [null, null, ['/updated-paths']])
    })
    await t.test('empty arrays through JSON', async () => {
      const route = await createRoute(h.client)
      const r = await h.client.patch(`/routes/${route.id}`, { methods: [], paths: [], hosts: ['my-updated.tld'] })
      expectStatus(r, 200)
      assert.ok(r.text.includes('"methods":[]'), r.text)
      assert.ok(r.text.includes('"paths":[]'), r.text)
      assert.equal(expectStatus(await h.client.patch(`/routes/${newId()}`, { paths: ['/'] }), 404).code, 6)
      const bad = await h.client.patch(`/routes/${route.id}`, { regex_priority: 'foobar' })
      assert.equal(expectStatus(bad, 400).message, 'schema violation (regex_priority: expected an integer)')
      // The entity check runs on the merged row.
      const emptied = await h.client.patch(`/routes/${route.id}`, { hosts: null })
      assert.deepEqual(expectStatus(emptied, 400).fields, { '@entity': [HTTPS_NEEDS] })
    })
  })

  test('DELETE by id and name is 204 with an empty body (case 84)', async () => {
    const a = await createRoute(h.client)
    await createRoute(h.client, { name: 'named' })
    for (const path of [`/routes/${a.id}`, '/routes/named', `/routes/${newId()}`]) {
      const r = await h.client.delete(path)
      assert.equal(r.status, 204, path)
      assert.equal(r.text, '')
    }
    assert.deepEqual(expectStatus(await h.client.get('/routes'), 200).data, [])
  })

  test('GET /routes/{r}/service and its DELETE rules (case 85)', async () => {
    const s = await createService(h.client)
    const route = await createRoute(h.client, { name: 'r', service: { id: s.id } })
    const lone = await createRoute(h.client, { name: 'lone' })
    assert.deepEqual(expectStatus(await h.client.get(`/routes/${route.id}/service`), 200), s)
    assert.deepEqual(expectStatus(await h.client.get('/routes/r/service'), 200), s)
    expectMessage(await h.client.get(`/routes/${newId()}/service`), 404, 'Not found')
    expectMessage(await h.client.get('/routes/unknown/service'), 404, 'Not found')
    expectMessage(await h.client.get(`/routes/${lone.id}/service`), 404, 'Not found')
    expectMessage(await h.client.delete(`/routes/${route.id}/service`), 405, 'Method not allowed')
    expectMessage(await h.client.delete('/routes/unknown/service'), 404, 'Not found')
    expectMessage(await h.client.delete(`/routes/${lone.id}/service`), 404, 'Not found')
  })

  test('PUT and PATCH /routes/{r}/service (case 86)', async () => {
    const s = await createService(h.client)
    const route = await createRoute(h.client, { service: { id: s.id } })
    const put = await h.client.put(`/routes/${route.id}/service`, { connect_timeout: 'foobar' })
    assert.equal(
      expectStatus(put, 400).message,
      '2 schema violations (connect_timeout: expected an integer; host: required field missing)'
    )
    const patch = await h.client.patch(`/routes/${route.id}/service`, { connect_timeout: 'foobar' })
    assert.equal(expectStatus(patch, 400).message, 'schema violation (connect_timeout: expected an integer)')
    const replaced = expectStatus(await h.client.put(`/routes/${route.id}/service`, { url: 'http://konghq.test' }), 200)
    assert.equal(replaced.host, 'konghq.test')
    assert.equal(replaced.id, s.id)
    const patched = expectStatus(await h.client.patch(`/routes/${route.id}/service`, { retries: 1 }), 200)
    assert.deepEqual([patched.retries, patched.host], [1, 'konghq.test'])

    // A route without a service gets a new one attached.
    const lone = await createRoute(h.client, { name: 'lone' })
    const created = expectStatus(await h.client.put('/routes/lone/service', { host: 'new.test' }), 200)
    assert.notEqual(created.id, s.id)
    assert.deepEqual(expectStatus(await h.client.get(`/routes/${lone.id}`), 200).service, { id: created.id })
  })

  test('a duplicate route name is 409 code 5', async () => {
    await createRoute(h.client, { name: 'same' })
    const r = await h.client.post('/routes', { name: 'same', paths: ['/'] })
    assert.deepEqual(expectStatus(r, 409), {
      code: 5,
      name: 'unique constraint violation',
      message: 'UNIQUE violation detected on \'{name="same"}\'',
      fields: { name: 'same' },
    })
  })

  test('Kong 3.9 route paths: regex-looking plain paths and ~/ regexes accepted', async () => {
    const r = expectStatus(await h.client.post('/routes', { paths: ['/kong(-ee){0,1}.com', '~/v1/(?<model>[a-z]+)$'] }), 201)
    assert.deepEqual(r.paths, ['/kong(-ee){0,1}.com', '~/v1/(?<model>[a-z]+)$'])
  })

  test('wildcard snis on https routes are accepted', async () => {
    const r = expectStatus(await h.client.post('/routes', { protocols: ['https'], snis: ['*.example.test', 'example.*'] }), 201)
    assert.deepEqual(r.snis, ['*.example.test', 'example.*'])
  })

  test('stream routes: sources/destinations validated and filled; http attributes refused', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const r = expectStatus(
        await h.client.post('/routes', { protocols: ['tcp'], sources: [{ ip: '10.0.0.0/8' }], destinations: [{ port: 9000 }] }, enc),
        201
      )
      assert.deepEqual(r.sources, [{ ip: '10.0.0.0/8', port: null }])
      assert.deepEqual(r.destinations, [{ ip: null, port: 9000 }])
      assert.deepEqual([r.paths, r.methods, r.hosts, r.headers], [null, null, null, null])
    })
    const stream = "when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"
    const cases: { input: Json; fields: Json }[] = [
      { input: { protocols: ['tcp'], sources: [{ ip: 'nope' }] }, fields: { sources: [{ ip: "invalid ip or cidr range: 'nope'" }] } },
      { input: { protocols: ['tcp'], sources: [{ ip: '10.0.0.1/33' }] }, fields: { sources: [{ ip: "invalid ip or cidr range: '10.0.0.1/33'" }] } },
      { input: { protocols: ['udp'], destinations: [{ port: 70000 }] }, fields: { destinations: [{ port: 'value should be between 0 and 65535' }] } },
      { input: { protocols: ['tcp'], sources: [{ ip: '10.0.0.1' }], paths: ['/'] }, fields: { paths: `cannot set 'paths' ${stream}` } },
      { input: { protocols: ['tls'], snis: ['a.test'], methods: ['GET'] }, fields: { methods: `cannot set 'methods' ${stream}` } },
      { input: { protocols: ['tcp'], sources: [{ ip: '10.0.0.1' }], hosts: ['a.test'] }, fields: { hosts: `cannot set 'hosts' ${stream}` } },
      { input: { protocols: ['tcp'], sources: [{ ip: '10.0.0.1' }], headers: { 'x-a': ['1'] } }, fields: { headers: `cannot set 'headers' ${stream}` } },
      { input: { protocols: ['tcp'] }, fields: { '@entity': ["must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"] } },
      { input: { protocols: ['tls_passthrough'] }, fields: { '@entity': ["must set snis when 'protocols' is 'tls_passthrough'"] } },
      { input: { protocols: ['http'], paths: ['/'], sources: [{ ip: '10.0.0.1' }] }, fields: { sources: "cannot set 'sources' when 'protocols' is 'http' or 'https'" } },
      // The family's rule replaces the field: a value of any type is refused with its message.
      { input: { protocols: ['grpc'], paths: ['/foo'], methods: 'GET' }, fields: { methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" } },
      { input: { protocols: ['grpcs'], paths: ['/foo'], methods: ['GET'] }, fields: { methods: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" } },
      { input: { protocols: ['grpc'], paths: ['/foo'], destinations: [{ port: 1 }] }, fields: { destinations: "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'" } },
      { input: { protocols: ['tcp'], sources: [{ port: 1 }], paths: 'x' }, fields: { paths: `cannot set 'paths' ${stream}` } },
    ]
    for (const c of cases) expectViolation(await h.client.post('/routes', c.input), c.fields)
  })

  test('PATCH with {} for an array field means an empty array', async () => {
    const route = await createRoute(h.client, { methods: ['GET'], paths: ['/a'] })
    const r = await h.client.patch(`/routes/${route.id}`, { methods: {}, paths: {} })
    expectStatus(r, 200)
    assert.ok(r.text.includes('"methods":[]') && r.text.includes('"paths":[]'), r.text)
  })

  test('an empty multipart body is read as no fields', async () => {
    const empty = await h.client.raw('POST', '/routes', { 'content-type': 'multipart/form-data; boundary=xyz' }, '')
    expectViolation(empty, { '@entity': [HTTPS_NEEDS] })
    const closing = await h.client.raw('POST', '/routes', { 'content-type': 'multipart/form-data; boundary=xyz' }, '--xyz--\r\n')
    expectViolation(closing, { '@entity': [HTTPS_NEEDS] })
  })
}
