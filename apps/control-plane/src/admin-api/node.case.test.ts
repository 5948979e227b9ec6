// Node and protocol cases: `/`, `/status`, `/endpoints` (§4.6, cases 87–89), 404/405, HEAD,
// OPTIONS and CORS (§1, case 90), content types (case 91), tags filters and pagination
// (§6, case 92).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Json } from './client.js'
import { prepareCreate } from '@switchyard/entities'
import { collectPages, createUpstream, expectMessage, expectStatus, expectViolation, newId } from './fixtures.js'
import type { AdminHarness } from './harness.js'

export function runNodeCases(h: AdminHarness): void {
  test('GET / describes the node (case 87)', async () => {
    const r = await h.client.get('/')
    const body = expectStatus(r, 200)
    assert.equal(body.tagline, 'Welcome to kong')
    assert.equal(body.edition, 'community')
    assert.equal(typeof body.version, 'string')
    assert.equal(body.node_id, h.cp.nodeId)
    assert.match(body.node_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    assert.equal(typeof body.configuration, 'object')
    assert.equal(typeof body.pids.master, 'number')
    assert.ok(r.text.includes('"enabled_in_cluster":[]'), r.text)
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(r.headers.get('server'), `kong/${body.version}`)
    assert.match(r.headers.get('x-kong-admin-latency') ?? '', /^\d+$/)

    const head = await h.client.request('HEAD', '/')
    assert.equal(head.status, 200)
    assert.equal(head.text, '')
    assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(head.headers.get('server'), r.headers.get('server'))
  })

  test('other methods on / are 405; OPTIONS lists GET, HEAD, OPTIONS (case 88)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expectMessage(await h.client.request(method, '/'), 405, 'Method not allowed')
    }
    const options = await h.client.request('OPTIONS', '/')
    assert.equal(options.status, 204)
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS')
    assert.equal(options.headers.get('access-control-allow-headers'), 'Content-Type')
    const preflight = await h.client.request('OPTIONS', '/upstreams', {
      headers: { 'access-control-request-headers': 'X-Custom, Content-Type', origin: 'http://ui.test' },
    })
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'X-Custom, Content-Type')
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://ui.test')
  })

  test('GET /status reports counters and database reachability (case 89)', async () => {
    const body = expectStatus(await h.client.get('/status'), 200)
    for (const key of [
      'connections_accepted',
      'connections_active',
      'connections_handled',
      'connections_reading',
      'connections_writing',
      'connections_waiting',
      'total_requests',
    ]) {
      assert.equal(typeof body.server[key], 'number', key)
    }
    assert.ok(body.server.total_requests >= 1)
    assert.deepEqual(body.database, { reachable: true })
    expectMessage(await h.client.get('/status?unit=V'), 400, "invalid unit 'V' (expected 'k/K', 'm/M', or 'g/G')")
    const bytes = expectStatus(await h.client.get('/status?unit=b'), 200)
    assert.equal(typeof bytes.memory.workers_lua_vms[0].http_allocated_gc, 'number')
  })

  test('GET /endpoints lists the mounted paths', async () => {
    const body = expectStatus(await h.client.get('/endpoints'), 200)
    for (const path of ['/', '/upstreams', '/upstreams/{upstream}/targets', '/routes/{route}/service', '/services']) {
      assert.ok(body.data.includes(path), path)
    }
    assert.deepEqual(body.data, [...body.data].sort())
  })

  test('unknown paths are 404 for every method; HEAD has no body (case 90)', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      expectMessage(await h.client.request(method, '/non-existing'), 404, 'Not found')
    }
    const head = await h.client.request('HEAD', '/non-existing')
    assert.equal(head.status, 404)
    assert.equal(head.text, '')
    expectMessage(await h.client.get('/upstreams/a/b/c/d/e'), 404, 'Not found')
  })

  test('every response carries CORS headers echoing the Origin', async () => {
    const origin = 'https://admin.example.test'
    const replies = [
      await h.client.get('/', { origin }),
      await h.client.get('/non-existing', { origin }),
      await h.client.request('DELETE', '/upstreams', { headers: { origin } }),
      await h.client.request('POST', '/upstreams', {
        headers: { origin, 'content-type': 'application/json' },
        body: '{"name":"cors.test"}',
      }),
    ]
    for (const r of replies) {
      assert.equal(r.headers.get('access-control-allow-origin'), origin, String(r.status))
      assert.equal(r.headers.get('access-control-allow-credentials'), 'true')
    }
    const plain = await h.client.get('/')
    assert.equal(plain.headers.get('access-control-allow-origin'), '*')
    assert.equal(plain.headers.get('access-control-allow-credentials'), 'true')
  })

  test('content types of write requests (case 91)', async () => {
    const invalid = await h.client.raw('POST', '/upstreams', { 'content-type': 'invalid' }, 'name=a.test')
    assert.equal(invalid.status, 415)
    assert.equal(invalid.text, '')
    const text = await h.client.raw('POST', '/upstreams', { 'content-type': 'text/plain' }, 'name=a.test')
    assert.equal(text.status, 415)
    const noType = await h.client.raw('POST', '/upstreams', {}, 'name=a.test')
    assert.equal(noType.status, 415)
    const emptyJson = await h.client.raw('POST', '/upstreams', { 'content-type': 'application/json' }, '')
    expectMessage(emptyJson, 400, 'Cannot parse JSON body')
    const emptyBodies: Record<string, string>[] = [{ 'content-type': 'application/x-www-form-urlencoded' }, {}]
    for (const headers of emptyBodies) {
      expectViolation(await h.client.raw('POST', '/upstreams', headers, ''), { name: 'required field missing' })
    }
    const multipart = await h.client.raw(
      'POST',
      '/upstreams',
      { 'content-type': 'multipart/form-data; boundary=xyz' },
      '--xyz--\r\n'
    )
    expectViolation(multipart, { name: 'required field missing' })
    const charset = await h.client.raw(
      'POST',
      '/upstreams',
      { 'content-type': 'application/json; charset=utf-8' },
      '{"name":"charset.test"}'
    )
    assert.equal(expectStatus(charset, 201).name, 'charset.test')
    const upper = await h.client.raw('POST', '/upstreams', { 'content-type': 'Application/JSON' }, '{"name":"upper.test"}')
    assert.equal(upper.status, 201)
    for (const body of ['[]', '"text"', '42', 'null']) {
      const r = await h.client.raw('POST', '/upstreams', { 'content-type': 'application/json' }, body)
      expectMessage(r, 400, 'Cannot parse JSON body')
    }
  })

  test('over 1000 arguments is 400 Too many arguments', async () => {
    const form = Array.from({ length: 1001 }, (_, i) => `tags[]=t${i}`).join('&')
    expectMessage(await h.client.form('POST', '/upstreams', form), 400, 'Too many arguments')
    const query = Array.from({ length: 1001 }, (_, i) => `a${i}=1`).join('&')
    expectMessage(await h.client.get(`/upstreams?${query}`), 400, 'Too many arguments')
    const ok = Array.from({ length: 999 }, (_, i) => `tags[]=t${i}`).join('&')
    assert.equal(expectStatus(await h.client.form('POST', '/upstreams', `name=many.test&${ok}`), 201).tags.length, 999)
  })

  test('tags filter: comma is AND, slash is OR (case 92)', async () => {
    await createUpstream(h.client, 'ab.test', { tags: ['a', 'b'] })
    await createUpstream(h.client, 'a.test', { tags: ['a'] })
    await createUpstream(h.client, 'c.test', { tags: ['c'] })
    await createUpstream(h.client, 'none.test')
    await createUpstream(h.client, 'spaced.test', { tags: ['corp a'] })
    const names = async (query: string) =>
      expectStatus(await h.client.get(`/upstreams?${query}`), 200)
        .data.map((u: Json) => u.name)
        .sort()
    assert.deepEqual(await names('tags=a'), ['a.test', 'ab.test'])
    assert.deepEqual(await names('tags=a,b'), ['ab.test'])
    assert.deepEqual(await names('tags=b/c'), ['ab.test', 'c.test'])
    assert.deepEqual(await names('tags=zzz'), [])
    assert.deepEqual(await names('tags=corp%20a'), ['spaced.test'])
    assert.deepEqual(await names('tags=c&tags=a'), ['c.test'], 'only the first tags argument counts')
    const mixed = await h.client.get('/upstreams?tags=a,b/c')
    assert.deepEqual(expectStatus(mixed, 400), {
      code: 11,
      name: 'invalid options',
      message: 'invalid option (tags: invalid filter syntax)',
      options: { tags: 'invalid filter syntax' },
    })
    const six = await h.client.get('/upstreams?tags=a,b,c,d,e,f')
    assert.equal(expectStatus(six, 400).message, 'invalid option (tags: cannot query more than 5 tags)')
  })

  test('next carries offset, then tags, then size as given (case 92)', async () => {
    for (const name of ['t1.test', 't2.test', 't3.test']) await createUpstream(h.client, name, { tags: ['a', 'b c'] })
    await createUpstream(h.client, 'untagged.test')
    const page = expectStatus(await h.client.get('/upstreams?tags=a&size=1'), 200)
    assert.equal(page.next, `/upstreams?offset=${encodeURIComponent(page.offset)}&tags=a&size=1`)
    const spaced = expectStatus(await h.client.get('/upstreams?size=2&tags=b%20c'), 200)
    assert.equal(spaced.next, `/upstreams?offset=${encodeURIComponent(spaced.offset)}&tags=b%20c&size=2`)
    const tagged = await collectPages(h.client, '/upstreams?tags=a', 2)
    assert.deepEqual(tagged.map((p) => p.length), [2, 1])
    // The next link is usable as is.
    const followed = expectStatus(await h.client.get(page.next), 200)
    assert.equal(followed.data.length, 1)
    assert.notEqual(followed.data[0].id, page.data[0].id)
  })

  test('size defaults to 100 and may be at most 1000', async () => {
    // Inserted in one transaction through the store: 101 Admin API round trips would only
    // slow the suite down.
    const dao = h.cp.store.daos.upstreams
    await h.cp.store.write(async (tx) => {
      for (let i = 0; i < 101; i++) {
        const prepared = prepareCreate(dao.def, { name: `bulk-${i}.test` }, { now: Date.now(), newId })
        assert.ok(prepared.ok)
        await dao.insert(tx.q, prepared.entity)
      }
    })
    const first = expectStatus(await h.client.get('/upstreams'), 200)
    assert.equal(first.data.length, 100)
    assert.equal(first.next, `/upstreams?offset=${encodeURIComponent(first.offset)}`)
    assert.equal(expectStatus(await h.client.get('/upstreams?size=1000'), 200).data.length, 101)
    const cases: [string, string][] = [
      ['1001', 'size must be an integer between 1 and 1000'],
      ['0', 'size must be an integer between 1 and 1000'],
      ['-1', 'size must be an integer between 1 and 1000'],
      ['2.5', 'size must be an integer between 1 and 1000'],
      ['99999999999999999999', 'size must be an integer between 1 and 1000'],
      ['abc', 'size must be a number'],
      ['', 'size must be a number'],
    ]
    for (const [size, message] of cases) {
      const r = await h.client.get(`/upstreams?size=${size}`)
      assert.deepEqual(expectStatus(r, 400), { code: 9, name: 'invalid size', message }, size)
    }
  })

  test('offsets that decode to no valid id are code 7', async () => {
    const notJson = Buffer.from('hello').toString('base64').replace(/=+$/, '')
    assert.deepEqual(expectStatus(await h.client.get(`/upstreams?offset=${notJson}`), 400), {
      code: 7,
      name: 'invalid offset',
      message: `'${notJson}' is not a valid offset: bad json encoding`,
    })
    const notId = Buffer.from('["x"]').toString('base64').replace(/=+$/, '')
    assert.equal(expectStatus(await h.client.get(`/upstreams?offset=${notId}`), 400).code, 7)
    expectStatus(await h.client.get(`/upstreams?offset=${encodeURIComponent('%%%')}`), 400)
  })
}
