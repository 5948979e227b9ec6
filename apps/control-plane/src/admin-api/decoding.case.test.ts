// Request decoding cases (reference §2): form and multipart bodies nest dotted keys, honour
// `x[]`/`x[i]`, combine repeated keys and coerce by schema; JSON bodies are taken as they are.
// The decoder's own table lives in packages/entities/src/decode-args.test.ts; these cases go
// through HTTP so the body reader, the decoder and the validator are checked together.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Encoding, Json } from './client.js'
import { UPSTREAM_DEFAULTS, createUpstream, expectStatus, expectViolation } from './fixtures.js'
import type { AdminHarness } from './harness.js'

/** Sends `pairs` as a form or as multipart, the two encodings the decoder serves. */
function sendPairs(
  h: AdminHarness,
  enc: Exclude<Encoding, 'J'>,
  method: string,
  path: string,
  pairs: [string, string][]
) {
  if (enc === 'F') {
    const body = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')
    return h.client.form(method, path, body)
  }
  const form = new FormData()
  for (const [k, v] of pairs) form.append(k, v)
  return h.client.request(method, path, { body: form })
}

export function runDecodingCases(h: AdminHarness): void {
  const accepted: { name: string; pairs: [string, string][]; expect: Json }[] = [
    { name: 'x[] appends', pairs: [['tags[]', 'a'], ['tags[]', 'b']], expect: { tags: ['a', 'b'] } },
    { name: 'x[i] sets 1-based positions', pairs: [['tags[2]', 'b'], ['tags[1]', 'a']], expect: { tags: ['a', 'b'] } },
    { name: 'repeated keys combine', pairs: [['tags', 'a'], ['tags', 'b']], expect: { tags: ['a', 'b'] } },
    { name: 'a scalar becomes a one-element set', pairs: [['tags', 'solo']], expect: { tags: ['solo'] } },
    { name: 'numbers are coerced', pairs: [['slots', '20']], expect: { slots: 20 } },
    { name: 'booleans are coerced', pairs: [['use_srv_name', 'true']], expect: { use_srv_name: true } },
    { name: 'an empty value is null', pairs: [['host_header', '']], expect: { host_header: null } },
    {
      name: 'dotted keys nest, with array elements coerced',
      pairs: [
        ['healthchecks.active.http_path', '/health'],
        ['healthchecks.active.healthy.http_statuses', '200'],
        ['healthchecks.threshold', '12.5'],
      ],
      expect: {
        healthchecks: {
          ...UPSTREAM_DEFAULTS.healthchecks,
          active: {
            ...UPSTREAM_DEFAULTS.healthchecks.active,
            http_path: '/health',
            healthy: { ...UPSTREAM_DEFAULTS.healthchecks.active.healthy, http_statuses: [200] },
          },
          threshold: 12.5,
        },
      },
    },
    { name: 'encoded brackets in keys', pairs: [['tags%5B%5D', 'x']], expect: { tags: ['x'] } },
    { name: 'values keep spaces and UTF-8', pairs: [['tags', 'corp a'], ['tags', 'ünï']], expect: { tags: ['corp a', 'ünï'] } },
  ]
  for (const c of accepted) {
    test(`form and multipart: ${c.name}`, async (t) => {
      for (const enc of ['F', 'M'] as const) {
        await t.test(enc, async () => {
          // Multipart part names are not percent-decoded; send the literal brackets there.
          const pairs = c.pairs.map(([k, v]): [string, string] => [enc === 'M' ? decodeURIComponent(k) : k, v])
          const r = await sendPairs(h, enc, 'POST', '/upstreams', [['name', 'dec.test'], ...pairs])
          const body = expectStatus(r, 201)
          for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(body[k], v, k)
        })
      }
    })
  }

  test('encoded brackets in a raw form key are honoured', async () => {
    const r = await h.client.form('POST', '/upstreams', 'name=raw.test&tags%5B1%5D=a&tags%5B2%5D=b')
    assert.deepEqual(expectStatus(r, 201).tags, ['a', 'b'])
  })

  const rejected: { name: string; pairs: [string, string][]; fields: Json }[] = [
    { name: 'a non-numeric number', pairs: [['slots', 'many']], fields: { slots: 'expected an integer' } },
    { name: 'a fractional integer', pairs: [['slots', '2.5']], fields: { slots: 'expected an integer' } },
    { name: '"1" for a boolean', pairs: [['use_srv_name', '1']], fields: { use_srv_name: 'expected a boolean' } },
    { name: '"yes" for a boolean', pairs: [['use_srv_name', 'yes']], fields: { use_srv_name: 'expected a boolean' } },
    {
      name: 'comma lists (not split)',
      pairs: [['tags', 'a,b']],
      fields: { tags: ["invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences"] },
    },
    { name: 'unknown keys', pairs: [['nope', 'x']], fields: { nope: 'unknown field' } },
    { name: 'unknown nested keys', pairs: [['healthchecks.nope', 'x']], fields: { healthchecks: { nope: 'unknown field' } } },
    {
      name: 'an empty value for a required field',
      pairs: [['healthchecks.active.https_verify_certificate', '']],
      fields: { healthchecks: { active: { https_verify_certificate: 'required field missing' } } },
    },
    { name: 'a hole in a positional array', pairs: [['tags[2]', 'b']], fields: { tags: 'expected a set' } },
  ]
  for (const c of rejected) {
    test(`form and multipart reject ${c.name}`, async (t) => {
      for (const enc of ['F', 'M'] as const) {
        await t.test(enc, async () => {
          expectViolation(await sendPairs(h, enc, 'POST', '/upstreams', [['name', 'dec.test'], ...c.pairs]), c.fields)
        })
      }
    })
  }

  test('an empty form value unsets a field on PATCH', async () => {
    await createUpstream(h.client, 'unset.test', { host_header: 'a.test', tags: ['x'] })
    const body = expectStatus(await h.client.form('PATCH', '/upstreams/unset.test', 'host_header=&tags='), 200)
    assert.equal(body.host_header, null)
    assert.equal(body.tags, null)
  })

  test('JSON bodies are not coerced and dotted keys mean nothing there', async () => {
    const cases: { input: Json; fields: Json }[] = [
      { input: { slots: '20' }, fields: { slots: 'expected an integer' } },
      { input: { use_srv_name: 'true' }, fields: { use_srv_name: 'expected a boolean' } },
      { input: { tags: 'solo' }, fields: { tags: 'expected a set' } },
      { input: { host_header: '' }, fields: { host_header: 'length must be at least 1' } },
      { input: { 'healthchecks.active.http_path': '/x' }, fields: { 'healthchecks.active.http_path': 'unknown field' } },
      { input: { healthchecks: 'on' }, fields: { healthchecks: 'expected a record' } },
    ]
    for (const c of cases) expectViolation(await h.client.post('/upstreams', { name: 'json.test', ...c.input }), c.fields)
    const nulls = expectStatus(await h.client.post('/upstreams', { name: 'json.test', host_header: null, tags: null }), 201)
    assert.deepEqual([nulls.host_header, nulls.tags], [null, null])
  })

  test('query strings and bodies of GET and DELETE are not decoded into writes', async () => {
    await createUpstream(h.client, 'keep.test')
    const del = await h.client.raw('DELETE', '/upstreams/other.test', { 'content-type': 'application/json' }, '{bad')
    assert.equal(del.status, 204)
    expectStatus(await h.client.get('/upstreams/keep.test?name=changed'), 200)
    assert.equal(expectStatus(await h.client.get('/upstreams/keep.test'), 200).name, 'keep.test')
  })
}
