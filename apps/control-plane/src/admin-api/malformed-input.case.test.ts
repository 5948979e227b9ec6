// Nothing a client sends may produce a 500: garbage of every JSON type for every field (nested
// ones included) on POST and PATCH, odd content types and bodies, bad percent-encoding in
// paths, absurd paging arguments, unicode and NUL characters. Every answer must be below 500
// and, when it is an error with a body, Kong's JSON `message`.

import { ENTITIES, type Field, type Fields } from '@switchyard/entities'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Json, Reply } from './client.js'
import { createRoute, createService, createTarget, createUpstream } from './fixtures.js'
import type { AdminHarness } from './harness.js'

const GARBAGE: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 2,
  '',
  ' ',
  'x',
  'a\u0000b',
  '\ud800',
  'ü'.repeat(2000),
  [],
  [null],
  [[]],
  [{}],
  ['x', 1, true],
  {},
  { a: 1 },
  { id: 'x' },
  { id: null },
  { id: '00000000-0000-0000-0000-000000000000' },
  { $ne: 1 },
]

/** Paths of every field, with record fields expanded into their leaves. */
function fieldPaths(fields: Fields, prefix: string[] = []): string[][] {
  return Object.entries(fields).flatMap(([name, f]: [string, Field]) =>
    f.type === 'record' ? [[...prefix, name], ...fieldPaths(f.fields, [...prefix, name])] : [[...prefix, name]]
  )
}

function nest(path: string[], value: unknown): Json {
  return path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value)
}

/**
 * Collects answers that break the rule (status below 500; an error with a body is a JSON
 * object with a string message), so one failure lists every offending request.
 */
class Problems {
  readonly list: string[] = []

  check(r: Reply, what: string): void {
    const malformed = r.status >= 400 && r.text !== '' && typeof r.body?.message !== 'string'
    if (r.status >= 500 || malformed) this.list.push(`${what} → ${r.status} ${r.text.slice(0, 200)}`)
  }

  assertNone(): void {
    assert.deepEqual(this.list, [])
  }
}

/** Runs `requests` a few at a time: thousands of cases one by one would be slow. */
async function inBatches(requests: (() => Promise<void>)[], width = 16): Promise<void> {
  for (let i = 0; i < requests.length; i += width) await Promise.all(requests.slice(i, i + width).map((r) => r()))
}

export function runMalformedInputCases(h: AdminHarness): void {
  // Items are addressed by id: a garbage PATCH may rename them.
  type Ids = { u: string; t: string; s: string; r: string }
  const targets: { entity: keyof typeof ENTITIES; collection: string; base: Json; item: (ids: Ids) => string }[] = [
    {
      entity: 'upstreams',
      collection: '/upstreams',
      base: { name: 'fuzz-new.test' },
      item: (ids) => `/upstreams/${ids.u}`,
    },
    {
      entity: 'targets',
      collection: '/upstreams/fuzz.test/targets',
      base: { target: 'new.test:80' },
      item: (ids) => `/upstreams/${ids.u}/targets/${ids.t}`,
    },
    { entity: 'services', collection: '/services', base: { host: 'new.test' }, item: (ids) => `/services/${ids.s}` },
    { entity: 'routes', collection: '/routes', base: { paths: ['/new'] }, item: (ids) => `/routes/${ids.r}` },
  ]
  for (const t of targets) {
    test(`garbage in every ${t.entity} field is never a 500`, async () => {
      const u = await createUpstream(h.client, 'fuzz.test')
      const target = await createTarget(h.client, 'fuzz.test', 'a.test:80')
      const s = await createService(h.client, { name: 'fuzz' })
      const r = await createRoute(h.client, { name: 'fuzz', service: { id: s.id } })
      const item = t.item({ u: u.id, t: target.id, s: s.id, r: r.id })
      const problems = new Problems()
      const requests: (() => Promise<void>)[] = []
      for (const path of [...fieldPaths(ENTITIES[t.entity].fields), ['url'], ['unknown']]) {
        for (const value of GARBAGE) {
          const what = `${path.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`
          const body = nest(path, value)
          requests.push(async () => {
            problems.check(await h.client.post(t.collection, { ...t.base, ...body }), `POST ${what}`)
          })
          requests.push(async () => problems.check(await h.client.patch(item, body), `PATCH ${what}`))
        }
      }
      await inBatches(requests)
      problems.assertNone()
    })
  }

  test('odd content types and bodies are never a 500', async () => {
    const problems = new Problems()
    const cases: [Record<string, string>, string][] = [
      [{ 'content-type': 'application/json' }, '{"name":'],
      [{ 'content-type': 'application/json' }, '['.repeat(5000)],
      [{ 'content-type': 'application/json' }, '{"name":"a.test","name":"b.test"}'],
      [{ 'content-type': 'application/json' }, '{"__proto__":{"polluted":"yes"},"name":"proto.test"}'],
      [{ 'content-type': 'application/json; charset=latin1' }, '{"name":"l.test"}'],
      [{ 'content-type': 'application/jsonx' }, '{}'],
      [{ 'content-type': 'multipart/form-data' }, 'name=a.test'],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, 'garbage'],
      [
        { 'content-type': 'multipart/form-data; boundary=x' },
        '--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n',
      ],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, '%zz=%zz&=&&==&name'],
      [
        { 'content-type': 'application/x-www-form-urlencoded' },
        '__proto__.polluted=yes&constructor.prototype.polluted=yes',
      ],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, '__proto__[polluted]=yes&name=p.test'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a[99999999]=1&b[-1]=2&c[1e3]=3&d]]=4&e[[=5'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, '.name=x&name.=y&..=z'],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'name=a.test&name[]=b&name.x=c'],
      // Found by the fuzzer: an append after the key was used as a record threw (500).
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'headers.k.y=1&headers.k[].z=2&tags.a=1&tags[].b=2'],
      [{ 'content-type': 'text/xml' }, '<x/>'],
      [{ 'content-type': '' }, 'x'],
      [{ 'content-type': ';;;' }, 'x'],
    ]
    for (const path of ['/upstreams', '/services', '/routes', '/upstreams/fuzz.test', '/upstreams/fuzz.test/targets']) {
      await h.client.post('/upstreams', { name: 'fuzz.test' })
      for (const method of ['POST', 'PUT', 'PATCH']) {
        for (const [headers, body] of cases) {
          const what = `${method} ${path} ${JSON.stringify(headers)} ${body.slice(0, 40)}`
          problems.check(await h.client.raw(method, path, headers, body), what)
        }
      }
    }
    problems.assertNone()
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched')
  })

  test('bad percent-encoding and odd path segments are never a 500', async () => {
    const problems = new Problems()
    await createUpstream(h.client, 'fuzz.test')
    const segments = [
      ...['%', '%zz', '%E0%A4%A', '%C0%AF', '%ff', 'a%00b', 'a%2Fb', '..%2F..%2Fetc', '%2e%2e'],
      ...['%E5%86%86', '%F0%9F%9A%80', 'x'.repeat(3000)],
    ]
    for (const seg of segments) {
      for (const path of [
        `/upstreams/${seg}`,
        `/upstreams/fuzz.test/targets/${seg}`,
        `/upstreams/${seg}/targets`,
        `/services/${seg}`,
        `/routes/${seg}/service`,
        `/${seg}`,
      ]) {
        for (const method of ['GET', 'DELETE', 'PATCH', 'PUT']) {
          const body = method === 'PATCH' || method === 'PUT' ? '{}' : undefined
          const r = await h.client.raw(method, path, { 'content-type': 'application/json' }, body)
          problems.check(r, `${method} ${path.slice(0, 60)}`)
        }
      }
    }
    problems.assertNone()
  })

  test('absurd paging and filter arguments are never a 500', async () => {
    const problems = new Problems()
    await createUpstream(h.client, 'fuzz.test', { tags: ['t'] })
    const queries = [
      'size=1e400',
      'size=99999999999999999999999',
      'size=-0',
      'size=0x10',
      'size=%00',
      'size=1&size=2000',
      `offset=${'A'.repeat(4000)}`,
      'offset=%ff%fe',
      `offset=${Buffer.from('[null]').toString('base64')}`,
      `offset=${Buffer.from('{"a":1}').toString('base64')}`,
      'offset=====',
      'tags=%ff',
      'tags=%00',
      'tags=a,,b',
      'tags=/',
      'tags=,',
      `tags=${'t,'.repeat(100)}t`,
    ]
    for (const q of queries) {
      const paths = ['/upstreams', '/upstreams/fuzz.test/targets', '/upstreams/fuzz.test/targets/all', '/services/x/routes']
      for (const path of paths) {
        problems.check(await h.client.raw('GET', `${path}?${q}`), `GET ${path}?${q.slice(0, 40)}`)
      }
    }
    problems.assertNone()
  })

  // Found by the Admin API fuzzer: deep nesting overflowed the validators' and the form
  // decoder's stack (500), and a body over the size limit was answered with a reset.
  test('deeply nested bodies are 400, not a stack overflow', async () => {
    const deep = 100_000
    const cases: [string, string, string, string][] = [
      ['/services', 'application/json', `{"host":"a.test","tags":${'['.repeat(deep)}${']'.repeat(deep)}}`, 'Cannot parse JSON body'],
      ['/services', 'application/json', `{"host":"a.test","x":${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}}`, 'Cannot parse JSON body'],
      ['/plugins', 'application/json', `{"name":"rate-limiting","config":{"minute":1,"redis":${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}}}`, 'Cannot parse JSON body'],
      ['/services', 'application/x-www-form-urlencoded', `host=a.test&a${'.b'.repeat(50_000)}=1`, 'Bad request'],
      ['/services', 'application/x-www-form-urlencoded', `host=a.test&tags${'[1]'.repeat(50_000)}=1`, 'Bad request'],
      ['/services', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="tags${'[1]'.repeat(50_000)}"\r\n\r\n1\r\n--x--\r\n`, 'Cannot parse multipart body'],
      ['/services', 'multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="tags${'[1]'.repeat(2000)}"\r\n\r\n1\r\n--x--\r\n`, 'Bad request'],
    ]
    await createService(h.client, { name: 'deep' })
    for (const [path, type, body, message] of cases) {
      // PATCH needs an existing entity, or the answer is 404 before the body is read.
      for (const method of path === '/services' ? ['POST', 'PUT', 'PATCH'] : ['POST', 'PUT']) {
        const target = method === 'POST' ? path : `${path}/deep`
        const r = await h.client.raw(method, target, { 'content-type': type }, body)
        assert.equal(r.status, 400, `${method} ${target} ${type}: ${r.text.slice(0, 200)}`)
        assert.equal(r.body.message, message)
      }
    }
    // Just under cjson's depth limit the validators answer as usual.
    const fine = await h.client.raw('POST', '/services', { 'content-type': 'application/json' }, `{"host":"a.test","tags":${'['.repeat(998)}${']'.repeat(998)}}`)
    assert.equal(fine.status, 400)
    assert.deepEqual(fine.body.fields, { tags: ['expected a string'] })
  })

  // Found by the Admin API fuzzer: a foreign reference by name with a NUL in it went to
  // Postgres as a query parameter, which Postgres refuses (500).
  test('a foreign reference by a name holding NUL is unresolved, not a 500', async () => {
    const s = await createService(h.client, { name: 'nul-ref' })
    const bodies: [string, string, Json][] = [
      ['POST', '/routes', { paths: ['/n'], service: { name: 'a\u0000b' } }],
      ['PUT', '/routes/nul-route', { paths: ['/n'], service: { name: 'a\u0000b' } }],
      ['POST', '/plugins', { name: 'prometheus', service: { name: 'a\u0000b' } }],
      ['POST', '/plugins', { name: 'prometheus', route: { name: '\u0000' } }],
      ['PATCH', `/services/${s.id}/routes`, { paths: ['/n'] }],
    ]
    for (const [method, path, body] of bodies) {
      const r = await h.client.raw(method, path, { 'content-type': 'application/json' }, JSON.stringify(body))
      assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} → ${r.status} ${r.text.slice(0, 200)}`)
    }
    const form = await h.client.raw('POST', '/routes', { 'content-type': 'application/x-www-form-urlencoded' }, 'paths[1]=/n&service.name=a%00b')
    assert.equal(form.status, 400, form.text)
  })

  // Found by the Admin API fuzzer: a PUT by name whose body carried another id rewrote the
  // stored primary key, which the entity's plugins reference (foreign key error, 500); Kong's
  // upsert never updates key columns, so the body's id is ignored for an existing entity.
  test('PUT by name to an existing entity keeps its id and its plugins', async () => {
    const s = await createService(h.client, { name: 'keep' })
    const r = await createRoute(h.client, { name: 'keep', paths: ['/k'], service: { id: s.id } })
    const other = await createRoute(h.client, { name: 'other', paths: ['/o'] })
    const plugin = await h.client.post('/plugins', { name: 'prometheus', route: { id: r.id } })
    assert.equal(plugin.status, 201)
    for (const id of ['0b6e7fb5-9a71-4b0a-a3f4-4c2d1b8c7e10', other.id]) {
      const put = await h.client.put('/routes/keep', { id, paths: ['/k2'], service: { id: s.id } })
      assert.equal(put.status, 200, put.text)
      assert.equal(put.body.id, r.id)
      assert.deepEqual(put.body.paths, ['/k2'])
    }
    const servicePut = await h.client.put('/services/keep', { id: '4b0c5d2e-1f3a-4e6b-8c7d-9e0f1a2b3c4d', host: 'k.test' })
    assert.equal(servicePut.status, 200)
    assert.equal(servicePut.body.id, s.id)
    assert.equal((await h.client.get(`/plugins/${plugin.body.id}`)).body.route.id, r.id)
    assert.equal((await h.client.get(`/routes/${other.id}`)).body.name, 'other')
  })

  test('PUT racing DELETE on the same name never answers 5xx', async () => {
    const statuses: number[] = []
    for (let round = 0; round < 30; round++) {
      const answers = await Promise.all([
        h.client.put('/routes/racy', { paths: ['/r'] }),
        h.client.raw('DELETE', '/routes/racy'),
        h.client.put('/routes/racy', { paths: ['/r2'] }),
        h.client.patch('/routes/racy', { paths: ['/r3'] }),
      ])
      statuses.push(...answers.map((a) => a.status))
    }
    assert.deepEqual(statuses.filter((s) => s >= 500), [])
  })

  // Found by the Admin API fuzzer: a multipart body cut off inside a file part failed busboy's
  // file stream with no listener, and the unhandled 'error' event killed the whole process.
  test('a multipart body cut off inside a file part is 400 and the server lives on', async () => {
    const cut = [
      '--x\r\nContent-Disposition: form-data; name="host"; filename="h.txt"\r\nContent-Type: text/plain\r\n\r\na.test',
      '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nok\r\n--x\r\nContent-Disposition: form-data; name="host"; filename="h"\r\n\r\n',
    ]
    for (const body of cut) {
      const r = await h.client.raw('POST', '/services', { 'content-type': 'multipart/form-data; boundary=x' }, body)
      assert.equal(r.status, 400)
      assert.equal(r.body.message, 'Cannot parse multipart body')
    }
    assert.equal((await h.client.get('/services')).status, 200)
  })

  test('a body over the size limit is 413, answered rather than reset', async () => {
    const r = await h.client.raw('POST', '/services', { 'content-type': 'application/json' }, ' '.repeat(17 * 1024 * 1024))
    assert.equal(r.status, 413)
  })

  test('unicode names round-trip where Kong allows them', async () => {
    const names = ['円', 'сервис', '🚀-rocket', 'naïve~name']
    for (const name of names) {
      const s = await createService(h.client, { name })
      const r = await h.client.get(`/services/${encodeURIComponent(name)}`)
      assert.equal(r.status, 200, name)
      assert.deepEqual(r.body, s)
      await createRoute(h.client, { name, service: { id: s.id } })
      assert.equal((await h.client.get(`/routes/${encodeURIComponent(name)}/service`)).body.id, s.id)
    }
    const upstream = await h.client.post('/upstreams', { name: 'ünï.test' })
    assert.equal(upstream.status, 400)
    assert.equal(upstream.body.fields.name, "Invalid name ('ünï.test'); must be a valid hostname")
  })
}
