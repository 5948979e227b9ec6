// Service cases: reference §3.3 (defaults, the `url` shorthand) and §8 cases 57–68, plus the
// delete restriction while routes reference a service.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FJ, FMJ, type Json } from './client.js'
import {
  SERVICE_DEFAULTS,
  SERVICE_PROTOCOLS_MSG,
  collectPages,
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

export function runServiceCases(h: AdminHarness): void {
  test('POST with protocol and host returns every default (case 57)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const body = expectStatus(await h.client.post('/services', { protocol: 'http', host: 'service.test' }, enc), 201)
      assert.deepEqual(withoutMeta(body), { ...SERVICE_DEFAULTS, host: 'service.test' })
      assert.ok(Number.isInteger(body.created_at))
      assert.ok(Number.isInteger(body.updated_at))
    })
  })

  test('the url shorthand sets protocol, host, port and path (cases 58, 59)', async (t) => {
    const cases: { url: string; expect: Json }[] = [
      { url: 'http://service.test/', expect: { protocol: 'http', host: 'service.test', port: 80, path: '/' } },
      { url: 'https://service.test/', expect: { protocol: 'https', host: 'service.test', port: 443, path: '/' } },
      { url: 'http://service.test:8080/a/b', expect: { protocol: 'http', host: 'service.test', port: 8080, path: '/a/b' } },
      { url: 'grpc://grpc.test:9000', expect: { protocol: 'grpc', host: 'grpc.test', port: 9000, path: null } },
      { url: 'http://10.0.0.1', expect: { protocol: 'http', host: '10.0.0.1', port: 80, path: null } },
    ]
    await inEach(t, FMJ, async (enc) => {
      for (const c of cases) {
        const body = expectStatus(await h.client.post('/services', { url: c.url }, enc), 201)
        for (const [k, v] of Object.entries(c.expect)) assert.equal(body[k], v, `${c.url} ${k}`)
        assert.equal('url' in body, false, 'url is input only')
      }
    })
  })

  test('an empty or blank url is 400 (case 60)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      for (const url of ['', ' ']) {
        const r = await h.client.post('/services', { url }, enc)
        assert.equal(r.status, 400, JSON.stringify(url))
        assert.equal(r.body.code, 2)
      }
    })
  })

  test('url=invalid url is exactly the two-violation body (case 68)', async () => {
    const r = await h.client.post('/services', { url: 'invalid url' })
    assert.deepEqual(expectStatus(r, 400), {
      code: 2,
      name: 'schema violation',
      message: '2 schema violations (host: required field missing; path: should start with: /)',
      fields: { host: 'required field missing', path: 'should start with: /' },
    })
  })

  test('size pages carry the size in next (case 61)', async () => {
    for (let i = 0; i < 10; i++) await createService(h.client, { name: `s${i}` })
    const first = expectStatus(await h.client.get('/services?size=3'), 200)
    assert.equal(first.next, `/services?offset=${encodeURIComponent(first.offset)}&size=3`)
    const pages = await collectPages(h.client, '/services', 3)
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1])
  })

  test('GET by id, by name and by a UTF-8 name; missing is 404 (case 62)', async () => {
    const s = await createService(h.client, { name: '円' })
    assert.deepEqual(expectStatus(await h.client.get('/services/%E5%86%86'), 200), s)
    assert.deepEqual(expectStatus(await h.client.get(`/services/${s.id}`), 200), s)
    expectMessage(await h.client.get(`/services/${newId()}`), 404, 'Not found')
    expectMessage(await h.client.get('/services/not-found'), 404, 'Not found')
    const bad = await h.client.get('/services/a%20b')
    assert.deepEqual(expectStatus(bad, 400), {
      code: 10,
      name: 'invalid unique name',
      message: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    })
  })

  test('PATCH can unset the name and change the protocol (case 63)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      const s = await createService(h.client, { name: 'named' })
      const body = expectStatus(await h.client.patch(`/services/${s.id}`, { name: null, protocol: 'https' }, enc), 200)
      assert.equal(body.id, s.id)
      assert.equal(body.name, null)
      assert.equal(body.protocol, 'https')
    })
  })

  test('PATCH with a url replaces protocol, host, port and path (case 64)', async () => {
    const s = await createService(h.client, { path: '/old' })
    const steps: { url: string; expect: Json }[] = [
      { url: 'http://example.test:443', expect: { protocol: 'http', host: 'example.test', port: 443, path: null } },
      { url: 'https://example2.test:80/', expect: { protocol: 'https', host: 'example2.test', port: 80, path: '/' } },
      { url: 'http://example2.test', expect: { protocol: 'http', host: 'example2.test', port: 80, path: null } },
    ]
    for (const step of steps) {
      const body = expectStatus(await h.client.patch(`/services/${s.id}`, { url: step.url }), 200)
      for (const [k, v] of Object.entries(step.expect)) assert.equal(body[k], v, `${step.url} ${k}`)
    }
  })

  test('DELETE is 204 with an empty body, also when absent (case 65)', async () => {
    const s = await createService(h.client, { name: 'gone' })
    const r = await h.client.delete(`/services/${s.id}`)
    assert.equal(r.status, 204)
    assert.equal(r.text, '')
    assert.equal((await h.client.delete(`/services/${newId()}`)).status, 204)
    assert.equal((await h.client.delete('/services/not-found')).status, 204)
    expectMessage(await h.client.get(`/services/${s.id}`), 404, 'Not found')
  })

  test('deleting a service with routes is 400 code 4', async () => {
    const s = await createService(h.client, { name: 'busy' })
    const route = await createRoute(h.client, { service: { id: s.id } })
    const r = await h.client.delete('/services/busy')
    assert.deepEqual(expectStatus(r, 400), {
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    })
    expectStatus(await h.client.get('/services/busy'), 200)
    assert.equal((await h.client.delete(`/routes/${route.id}`)).status, 204)
    assert.equal((await h.client.delete('/services/busy')).status, 204)
  })

  test('nested routes list only that service routes (case 66)', async () => {
    const s = await createService(h.client, { name: 's1' })
    const other = await createService(h.client, { name: 's2' })
    const route = await createRoute(h.client, { service: { id: s.id } })
    await createRoute(h.client, { service: { id: other.id } })
    await createRoute(h.client)
    for (const path of [`/services/${s.id}/routes`, '/services/s1/routes']) {
      const r = await h.client.get(path)
      assert.deepEqual(expectStatus(r, 200), { data: [route], next: null })
    }
    expectMessage(await h.client.get('/services/nope/routes'), 404, 'Not found')
  })

  test('nested routes: POST sets the service from the URL; entity paths check ownership', async () => {
    const s = await createService(h.client, { name: 's1' })
    const other = await createService(h.client, { name: 's2' })
    const created = expectStatus(
      await h.client.post('/services/s1/routes', { name: 'r1', paths: ['/a'], service: { id: other.id } }),
      201
    )
    assert.deepEqual(created.service, { id: s.id })
    assert.deepEqual(expectStatus(await h.client.get('/services/s1/routes/r1'), 200), created)
    expectMessage(await h.client.get('/services/s2/routes/r1'), 404, 'Not found')
    const patched = expectStatus(await h.client.patch('/services/s1/routes/r1', { paths: ['/b'] }), 200)
    assert.deepEqual(patched.paths, ['/b'])
    expectMessage(await h.client.patch('/services/s2/routes/r1', { paths: ['/c'] }), 404, 'Not found')
    for (let i = 0; i < 3; i++) await createRoute(h.client, { service: { id: s.id }, name: `n${i}` })
    const page = expectStatus(await h.client.get('/services/s1/routes?size=2&tags=x'), 200)
    assert.equal(page.data.length, 2, 'tags are ignored on nested collections')
    assert.equal(page.next, `/services/s1/routes?offset=${encodeURIComponent(page.offset)}`)
  })

  test('schema violations (case 67 and field rules)', async (t) => {
    const cases: { input: Json; fields: Json }[] = [
      { input: {}, fields: { host: 'required field missing' } },
      { input: { host: 'example.test', protocol: 'foo' }, fields: { protocol: SERVICE_PROTOCOLS_MSG } },
      { input: { host: 'example.test:80' }, fields: { host: 'must not have a port' } },
      { input: { host: 'exa mple' }, fields: { host: 'invalid value: exa mple' } },
      { input: { host: 'a.test', port: 65536 }, fields: { port: 'value should be between 0 and 65535' } },
      { input: { host: 'a.test', retries: 32768 }, fields: { retries: 'value should be between 0 and 32767' } },
      {
        input: { host: 'a.test', connect_timeout: 0 },
        fields: { connect_timeout: 'value should be between 1 and 2147483646' },
      },
      { input: { host: 'a.test', path: 'x' }, fields: { path: 'should start with: /' } },
      { input: { host: 'a.test', path: '/a//b' }, fields: { path: 'must not have empty segments' } },
      {
        input: { host: 'a.test', name: 'a b' },
        fields: { name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~" },
      },
      {
        input: { host: 'a.test', protocol: 'tcp', path: '/x' },
        fields: { '@entity': ["failed conditional validation given value of field 'protocol'"], path: 'value must be null' },
      },
      {
        input: { host: 'a.test', tls_verify: true },
        fields: {
          '@entity': ["failed conditional validation given value of field 'protocol'"],
          tls_verify: 'value must be null',
        },
      },
    ]
    await inEach(t, FMJ, async (enc) => {
      for (const c of cases) expectViolation(await h.client.post('/services', c.input, enc), c.fields)
    })
  })

  test('a duplicate name is 409; PUT by name upserts and replaces', async () => {
    await createService(h.client, { name: 'dup' })
    const r = await h.client.post('/services', { name: 'dup', host: 'b.test' })
    assert.deepEqual(expectStatus(r, 409).fields, { name: 'dup' })
    const replaced = expectStatus(await h.client.put('/services/dup', { host: 'c.test' }), 200)
    assert.equal(replaced.host, 'c.test')
    assert.equal(replaced.name, 'dup')
    const created = expectStatus(await h.client.put('/services/fresh', { url: 'https://d.test' }), 200)
    assert.deepEqual([created.name, created.protocol, created.port], ['fresh', 'https', 443])
    const id = newId()
    const byId = expectStatus(await h.client.put(`/services/${id}`, { host: 'e.test' }), 200)
    assert.equal(byId.id, id)
  })

  test('PATCH of a missing service is 404 code 6', async () => {
    const r = await h.client.patch('/services/nope', { host: 'a.test' })
    assert.deepEqual(expectStatus(r, 404), {
      code: 6,
      name: 'not found',
      message: 'could not find the entity with \'{name="nope"}\'',
      fields: { name: 'nope' },
    })
  })
}
