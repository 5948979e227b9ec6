// Target cases: reference §3.2 and §4.3 (normalisation, listings, lookups by exact
// `host:port`), §8 cases 32–44, 51–55, 96, 99 and 101, and our two extensions: POST of an
// existing target updates it (200 instead of Kong's 409, cases 41 and 95 differ on purpose)
// and the `backup` flag.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FJ, FMJ, type Json } from './client.js'
import {
  collectPages,
  createTarget,
  createUpstream,
  expectMessage,
  expectStatus,
  expectViolation,
  inEach,
  newId,
} from './fixtures.js'
import type { AdminHarness } from './harness.js'

const INVALID_TARGET = 'Invalid target; not a valid hostname or ip address'

export function runTargetCases(h: AdminHarness): void {
  const setup = () => createUpstream(h.client, 'my.upstream')

  test('bare /targets paths are 404 for every method (case 32)', async () => {
    for (const path of ['/targets', `/targets/${newId()}`, '/targets/a.test:80/upstream']) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        expectMessage(await h.client.request(method, path), 404, 'Not found')
      }
      const head = await h.client.request('HEAD', path)
      assert.deepEqual([head.status, head.text], [404, ''])
    }
    const endpoints = expectStatus(await h.client.get('/endpoints'), 200)
    assert.deepEqual(endpoints.data.filter((p: string) => p.startsWith('/targets')), [], 'disabled paths are not endpoints')
  })

  test('POST creates a target with default port and weight (cases 33–35)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const u = await setup()
      const a = expectStatus(await h.client.post('/upstreams/my.upstream/targets/', { target: 'konghq.test' }, enc), 201)
      assert.equal(a.target, 'konghq.test:8000')
      assert.equal(a.weight, 100)
      assert.equal(typeof a.id, 'string')
      assert.equal(typeof a.created_at, 'number')
      assert.deepEqual(a.upstream, { id: u.id })
      assert.equal(a.backup, false)
      const b = expectStatus(
        await h.client.post('/upstreams/my.upstream/targets/', { target: 'konghq.test:123', weight: 99 }, enc),
        201
      )
      assert.deepEqual([b.target, b.weight], ['konghq.test:123', 99])
      const zero = expectStatus(
        await h.client.post(`/upstreams/${u.id}/targets`, { target: 'zero.weight.test:8080', weight: 0 }, enc),
        201
      )
      assert.equal(zero.weight, 0)
      assert.deepEqual(expectStatus(await h.client.get('/upstreams/my.upstream/targets/zero.weight.test:8080'), 200), zero)
    })
  })

  test('a target is returned with every field, timestamps in fractional seconds', async () => {
    const u = await setup()
    const before = Date.now() / 1000
    const t = await createTarget(h.client, 'my.upstream', 'a.test:80', { tags: ['x'] })
    assert.deepEqual(Object.keys(t).sort(), [
      'backup',
      'created_at',
      'id',
      'rpm',
      'tags',
      'target',
      'tpm',
      'updated_at',
      'upstream',
      'weight',
    ])
    assert.deepEqual({ ...t, id: 0, created_at: 0, updated_at: 0 }, {
      id: 0,
      created_at: 0,
      updated_at: 0,
      upstream: { id: u.id },
      target: 'a.test:80',
      weight: 100,
      tags: ['x'],
      backup: false,
      rpm: null,
      tpm: null,
    })
    assert.ok(t.created_at >= before - 1 && t.created_at <= Date.now() / 1000 + 1)
    assert.equal(Math.round(t.created_at * 1000) / 1000, t.created_at, 'millisecond precision')
  })

  test('target strings are normalised on write', async () => {
    const cases: [string, string][] = [
      ['konghq.test', 'konghq.test:8000'],
      ['KongHQ.Test:81', 'KongHQ.Test:81'],
      ['under_score.test', 'under_score.test:8000'],
      ['1.2.3.4', '1.2.3.4:8000'],
      ['001.002.003.004:123', '1.2.3.4:123'],
      ['::1', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
      ['[::2]', '[0000:0000:0000:0000:0000:0000:0000:0002]:8000'],
      ['[::1]:81', '[0000:0000:0000:0000:0000:0000:0000:0001]:81'],
      ['[FE80::1:2]:82', '[fe80:0000:0000:0000:0000:0000:0001:0002]:82'],
      ['localhost:0', 'localhost:0'],
      ['a.test:65535', 'a.test:65535'],
    ]
    await setup()
    for (const [input, stored] of cases) {
      const t = await createTarget(h.client, 'my.upstream', input)
      assert.equal(t.target, stored, input)
      const found = await h.client.get(`/upstreams/my.upstream/targets/${encodeURIComponent(stored)}`)
      assert.deepEqual(expectStatus(found, 200), t, `lookup ${stored}`)
    }
    // Another spelling of a stored address is the same target (extension: updated, 200).
    const again = await h.client.post('/upstreams/my.upstream/targets', { target: '[0:0::1]', weight: 3 })
    assert.equal(expectStatus(again, 200).target, '[0000:0000:0000:0000:0000:0000:0000:0001]:8000')
    expectMessage(await h.client.get('/upstreams/my.upstream/targets/[::1]:8000'), 404, 'Not found')
  })

  test('invalid targets and weights are schema violations (cases 37–39)', async (t) => {
    const cases: { input: Json; fields: Json }[] = [
      { input: { weight: 0 }, fields: { target: 'required field missing' } },
      { input: { target: 'some invalid host name' }, fields: { target: INVALID_TARGET } },
      { input: { target: 'konghq.test', weight: 65536 }, fields: { weight: 'value should be between 0 and 65535' } },
      { input: { target: 'konghq.test', weight: -1 }, fields: { weight: 'value should be between 0 and 65535' } },
      { input: { target: 'konghq.test', weight: 1.5 }, fields: { weight: 'expected an integer' } },
      { input: { target: 'a.test:65536' }, fields: { target: INVALID_TARGET } },
      { input: { target: '1234:80' }, fields: { target: INVALID_TARGET } },
      { input: { target: '1.2.3.256' }, fields: { target: INVALID_TARGET } },
      { input: { target: '[::1' }, fields: { target: INVALID_TARGET } },
      { input: { target: 'a-.test' }, fields: { target: INVALID_TARGET } },
      { input: { target: 'a.test', backup: 'yes' }, fields: { backup: 'expected a boolean' } },
      { input: { target: 'a.test', max_fails: 3 }, fields: { max_fails: 'unknown field' } },
    ]
    await inEach(t, FMJ, async (enc) => {
      await setup()
      for (const c of cases) expectViolation(await h.client.post('/upstreams/my.upstream/targets/', c.input, enc), c.fields)
      assert.deepEqual(expectStatus(await h.client.get('/upstreams/my.upstream/targets'), 200).data, [])
    })
  })

  test('POST with malformed JSON is exactly Cannot parse JSON body (case 36)', async () => {
    await setup()
    const r = await h.client.request('POST', '/upstreams/my.upstream/targets/', {
      body: '{"target": "a.test"',
      headers: { 'content-type': 'application/json' },
    })
    expectMessage(r, 400, 'Cannot parse JSON body')
  })

  test('PUT, PATCH and DELETE on the targets collection are 405 (case 40)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      await setup()
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const r = await h.client.send(method, '/upstreams/my.upstream/targets/', { target: 'konghq.test' }, enc)
        expectMessage(r, 405, 'Method not allowed')
      }
    })
  })

  test('extension: POST of an existing target updates it and answers 200 (case 41 differs)', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      await setup()
      const path = '/upstreams/my.upstream/targets/'
      const created = expectStatus(await h.client.post(path, { target: 'single-target.test:8080', weight: 1 }, enc), 201)
      const updated = expectStatus(await h.client.post(path, { target: 'single-target.test:8080', weight: 100 }, enc), 200)
      assert.equal(updated.id, created.id)
      assert.equal(updated.weight, 100)
      assert.equal(updated.created_at, created.created_at)
      assert.ok(updated.updated_at >= created.updated_at)
      // The match is on the normalised form, so the default port finds the same row.
      const implicit = expectStatus(await h.client.post(path, { target: 'konghq.test', weight: 5 }, enc), 201)
      const samePort = expectStatus(await h.client.post(path, { target: 'konghq.test:8000', weight: 6 }, enc), 200)
      assert.deepEqual([samePort.id, samePort.weight], [implicit.id, 6])
      const list = expectStatus(await h.client.get(path), 200)
      assert.equal(list.data.length, 2)
      const stored = expectStatus(await h.client.get(`${path}single-target.test:8080`), 200)
      assert.equal(stored.weight, 100)
    })
  })

  test('extension: POST of an existing target keeps fields it does not send', async () => {
    await setup()
    const created = await createTarget(h.client, 'my.upstream', 'a.test:80', { weight: 7, tags: ['t'], backup: true })
    const updated = expectStatus(await h.client.post('/upstreams/my.upstream/targets', { target: 'a.test:80', weight: 8 }), 200)
    assert.deepEqual(updated, { ...created, weight: 8, updated_at: updated.updated_at })
    expectViolation(await h.client.post('/upstreams/my.upstream/targets', { target: 'a.test:80', weight: 70000 }), {
      weight: 'value should be between 0 and 65535',
    })
  })

  test('extension: backup is a boolean, false by default, settable by form and JSON', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      await setup()
      const path = '/upstreams/my.upstream/targets'
      const primary = expectStatus(await h.client.post(path, { target: 'a.test:80' }, enc), 201)
      assert.equal(primary.backup, false)
      const backup = expectStatus(await h.client.post(path, { target: 'b.test:80', backup: true }, enc), 201)
      assert.equal(backup.backup, true)
      const off = expectStatus(await h.client.patch(`${path}/b.test:80`, { backup: false }, enc), 200)
      assert.equal(off.backup, false)
      const on = expectStatus(await h.client.post(path, { target: 'a.test:80', backup: true }, enc), 200)
      assert.equal(on.backup, true)
      const list = expectStatus(await h.client.get(path), 200)
      assert.deepEqual(
        list.data.map((x: Json) => [x.target, x.backup]).sort(),
        [
          ['a.test:80', true],
          ['b.test:80', false],
        ]
      )
      const all = expectStatus(await h.client.get(`${path}/all`), 200)
      assert.ok(all.data.every((x: Json) => typeof x.backup === 'boolean'))
    })
    await t.test('raw form and JSON literals', async () => {
      await setup()
      const form = await h.client.form('POST', '/upstreams/my.upstream/targets', 'target=a.test:80&backup=true')
      assert.equal(expectStatus(form, 201).backup, true)
      const json = await h.client.request('POST', '/upstreams/my.upstream/targets', {
        body: '{"target":"b.test:80","backup":true}',
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(expectStatus(json, 201).backup, true)
      // JSON is not coerced: the string "true" is not a boolean.
      expectViolation(await h.client.post('/upstreams/my.upstream/targets', { target: 'c.test:80', backup: 'true' }), {
        backup: 'expected a boolean',
      })
    })
  })

  test('GET lists every target of the upstream, newest first, weight 0 included (case 42)', async () => {
    const u = await setup()
    await createUpstream(h.client, 'other.test')
    await createTarget(h.client, 'other.test', 'api-9:80')
    const inserted: Json[] = []
    for (const [target, weight] of [
      ['api-1:80', 10],
      ['api-2:80', 0],
      ['api-3:80', 50],
      ['api-4:80', 10],
    ] as const) {
      inserted.push(await createTarget(h.client, 'my.upstream', target, { weight }))
      // Distinct millisecond timestamps make "newest first" observable.
      await new Promise((r) => setTimeout(r, 3))
    }
    for (const path of ['/upstreams/my.upstream/targets', '/upstreams/my.upstream/targets/', `/upstreams/${u.id}/targets`]) {
      const body = expectStatus(await h.client.get(path), 200)
      assert.deepEqual(body, { data: [...inserted].reverse(), next: null }, path)
    }
  })

  test('an upstream without targets lists "data":[] (case 43)', async () => {
    await setup()
    const r = await h.client.get('/upstreams/my.upstream/targets')
    assert.deepEqual(expectStatus(r, 200), { data: [], next: null })
    assert.ok(r.text.includes('"data":[]'))
  })

  test('the newest-first listing pages with numeric offsets', async () => {
    await setup()
    for (let i = 0; i < 5; i++) await createTarget(h.client, 'my.upstream', `t${i}.test:80`)
    const first = expectStatus(await h.client.get('/upstreams/my.upstream/targets?size=2'), 200)
    assert.equal(first.data.length, 2)
    assert.equal(first.offset, '2')
    assert.equal(first.next, '/upstreams/my.upstream/targets?offset=2')
    const pages = await collectPages(h.client, '/upstreams/my.upstream/targets', 2)
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1])
    assert.equal(new Set(pages.flat().map((x) => x.id)).size, 5)
    // Kong clamps the size here instead of rejecting it.
    assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets?size=5000'), 200).data.length, 5)
  })

  test('GET …/targets/all lists in id order with base64 offsets and a next link (case 44)', async () => {
    const u = await setup()
    for (let i = 0; i < 10; i++) await createTarget(h.client, 'my.upstream', `api-${i}.test:80`)
    const all = expectStatus(await h.client.get('/upstreams/my.upstream/targets/all'), 200)
    assert.equal(all.data.length, 10)
    const ids = all.data.map((x: Json) => x.id)
    assert.deepEqual(ids, [...ids].sort())
    const first = expectStatus(await h.client.get('/upstreams/my.upstream/targets/all?size=3'), 200)
    assert.equal(typeof first.offset, 'string')
    assert.equal(first.next, `/upstreams/my.upstream/targets/all?offset=${encodeURIComponent(first.offset)}`)
    const byId = expectStatus(await h.client.get(`/upstreams/${u.id}/targets/all?size=3`), 200)
    assert.equal(byId.next, `/upstreams/${u.id}/targets/all?offset=${encodeURIComponent(byId.offset)}`, 'upstream as given')
    const pages = await collectPages(h.client, '/upstreams/my.upstream/targets/all', 3)
    assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1])
    assert.deepEqual(pages.flat().map((x) => x.id), ids)
    expectStatus(await h.client.get('/upstreams/my.upstream/targets/all?foo=bar'), 200)
    const json = { 'content-type': 'application/json' }
    const withBody = await h.client.raw('GET', '/upstreams/my.upstream/targets/all', json, '{')
    assert.equal(withBody.status, 200)
    await createUpstream(h.client, 'empty.test')
    const empty = await h.client.get('/upstreams/empty.test/targets/all')
    assert.deepEqual(expectStatus(empty, 200), { data: [], next: null })
    assert.ok(empty.text.includes('"data":[]'))
    expectMessage(await h.client.get('/upstreams/missing.test/targets/all'), 404, 'Not found')
    assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets/all?size=0'), 400).code, 9)
  })

  test('targets of a missing upstream are 404', async () => {
    for (const [method, path] of [
      ['GET', '/upstreams/missing.test/targets'],
      ['POST', '/upstreams/missing.test/targets'],
      ['GET', `/upstreams/${newId()}/targets`],
      ['GET', '/upstreams/missing.test/targets/a.test:80'],
    ] as const) {
      const r = method === 'POST' ? await h.client.post(path, { target: 'a.test' }) : await h.client.get(path)
      expectMessage(r, 404, 'Not found')
    }
  })

  test('GET one target by host:port or id, only within its upstream (cases 51, 99)', async () => {
    const u = await setup()
    await createUpstream(h.client, 'other.test')
    const t = await createTarget(h.client, 'my.upstream', 'api-2:80', { weight: 0 })
    const elsewhere = await createTarget(h.client, 'other.test', 'konghq.test')
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/my.upstream/targets/api-2:80'), 200), t)
    assert.deepEqual(expectStatus(await h.client.get(`/upstreams/${u.id}/targets/${t.id}`), 200), t)
    expectMessage(await h.client.get(`/upstreams/my.upstream/targets/${elsewhere.id}`), 404, 'Not found')
    expectMessage(await h.client.get('/upstreams/other.test/targets/konghq.test'), 404, 'Not found')
    expectStatus(await h.client.get('/upstreams/other.test/targets/konghq.test:8000'), 200)
    expectMessage(await h.client.get('/upstreams/my.upstream/targets/konghq.test:8000'), 404, 'Not found')
    expectMessage(await h.client.get(`/upstreams/my.upstream/targets/${newId()}`), 404, 'Not found')
  })

  test('PATCH changes the weight and bumps updated_at (case 52)', async (t) => {
    await inEach(t, FJ, async (enc) => {
      await setup()
      const target = await createTarget(h.client, 'my.upstream', 'api-2:80', { weight: 10 })
      await new Promise((r) => setTimeout(r, 5))
      const body = expectStatus(await h.client.patch('/upstreams/my.upstream/targets/api-2:80', { weight: 659 }, enc), 200)
      assert.equal(body.target, 'api-2:80')
      assert.equal(body.weight, 659)
      assert.ok(body.updated_at > target.updated_at, 'updated_at increases')
      assert.equal(body.created_at, target.created_at)
      assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets/api-2:80'), 200).weight, 659)
    })
  })

  test('PUT on a target is a partial update by id or by host:port (cases 53, 54)', async () => {
    await setup()
    const t = await createTarget(h.client, 'my.upstream', 'api-2:80', { weight: 10 })
    const byId = expectStatus(await h.client.put(`/upstreams/my.upstream/targets/${t.id}`, { target: 'api-2:801' }), 200)
    assert.deepEqual([byId.target, byId.weight], ['api-2:801', 10])
    assert.equal(expectStatus(await h.client.get(`/upstreams/my.upstream/targets/${t.id}`), 200).target, 'api-2:801')

    const t2 = await createTarget(h.client, 'my.upstream', 'api-3:80', { weight: 20 })
    const byName = expectStatus(await h.client.put('/upstreams/my.upstream/targets/api-3:80', { target: 'api-3:801' }), 200)
    assert.deepEqual([byName.id, byName.weight], [t2.id, 20])
    expectMessage(await h.client.get('/upstreams/my.upstream/targets/api-3:80'), 404, 'Not found')
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/my.upstream/targets/api-3:801'), 200), byName)
  })

  test('PATCH/PUT of a missing target is 404, not an upsert', async () => {
    await setup()
    for (const method of ['PATCH', 'PUT']) {
      expectMessage(await h.client.send(method, '/upstreams/my.upstream/targets/nope.test:80', { weight: 1 }), 404, 'Not found')
    }
    assert.deepEqual(expectStatus(await h.client.get('/upstreams/my.upstream/targets'), 200).data, [])
  })

  test('renaming a target onto an existing one is 409', async () => {
    const u = await setup()
    await createTarget(h.client, 'my.upstream', 'a.test:80')
    await createTarget(h.client, 'my.upstream', 'b.test:80')
    const r = await h.client.patch('/upstreams/my.upstream/targets/b.test:80', { target: 'a.test:80' })
    assert.deepEqual(expectStatus(r, 409), {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{target="a.test:80",upstream={id="${u.id}"}}'`,
      fields: { target: 'a.test:80', upstream: { id: u.id } },
    })
    expectViolation(await h.client.patch('/upstreams/my.upstream/targets/b.test:80', { target: 'not valid' }), {
      target: INVALID_TARGET,
    })
  })

  test('PATCH cannot move a target to another upstream', async () => {
    const u = await setup()
    const other = await createUpstream(h.client, 'other.test')
    await createTarget(h.client, 'my.upstream', 'a.test:80')
    const r = await h.client.patch('/upstreams/my.upstream/targets/a.test:80', { upstream: { id: other.id }, weight: 3 })
    const body = expectStatus(r, 200)
    assert.deepEqual(body.upstream, { id: u.id }, 'the URL decides the upstream')
  })

  test('DELETE removes a target by host:port or id; absent is 404 (cases 55, 101)', async () => {
    await setup()
    await createTarget(h.client, 'my.upstream', 'api-1:80')
    const t2 = await createTarget(h.client, 'my.upstream', 'api-2:80')
    await createTarget(h.client, 'my.upstream', 'api-3:80')
    const del = await h.client.delete('/upstreams/my.upstream/targets/api-2:80')
    assert.equal(del.status, 204)
    assert.equal(del.text, '')
    assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets/all'), 200).data.length, 2)
    expectMessage(await h.client.delete(`/upstreams/my.upstream/targets/${t2.id}`), 404, 'Not found')
    const t3 = expectStatus(await h.client.get('/upstreams/my.upstream/targets/api-3:80'), 200)
    assert.equal((await h.client.delete(`/upstreams/my.upstream/targets/${t3.id}`)).status, 204)
    const list = expectStatus(await h.client.get('/upstreams/my.upstream/targets'), 200)
    assert.deepEqual(list.data.map((x: Json) => x.target), ['api-1:80'])
    expectMessage(await h.client.delete('/upstreams/my.upstream/targets/nope.test:80'), 404, 'Not found')
    expectMessage(await h.client.request('POST', '/upstreams/my.upstream/targets/api-1:80'), 405, 'Method not allowed')
  })

  test('form values are coerced, JSON values are not (case 96)', async () => {
    await setup()
    const json = await h.client.post('/upstreams/my.upstream/targets', { target: 'a.test:80', weight: '100' })
    assert.equal(expectStatus(json, 400).message, 'schema violation (weight: expected an integer)')
    const form = await h.client.form('POST', '/upstreams/my.upstream/targets', 'target=a.test:80&weight=100')
    assert.equal(expectStatus(form, 201).weight, 100)
  })

  test('target tags are a set, and tags filters do not apply to nested lists', async () => {
    await setup()
    const t = await createTarget(h.client, 'my.upstream', 'a.test:80', { tags: ['x', 'y', 'x'] })
    assert.deepEqual(t.tags, ['x', 'y'])
    await createTarget(h.client, 'my.upstream', 'b.test:80')
    assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets?tags=nope'), 200).data.length, 2)
    assert.equal(expectStatus(await h.client.get('/upstreams/my.upstream/targets/all?tags=nope'), 200).data.length, 2)
  })
}
