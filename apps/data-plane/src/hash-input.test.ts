import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hashValue, type HashContext, type HashRequest, type HashValue } from './hash-input.js'
import type { UpstreamHashConfig } from './route-types.js'

const NO_HASH: UpstreamHashConfig = {
  hash_on: 'none',
  hash_fallback: 'none',
  hash_on_header: null,
  hash_fallback_header: null,
  hash_on_cookie: null,
  hash_on_cookie_path: '/',
  hash_on_query_arg: null,
  hash_fallback_query_arg: null,
  hash_on_uri_capture: null,
  hash_fallback_uri_capture: null,
}

const BY_HEADER = { hash_on: 'header', hash_on_header: 'X-User' } as const
const BY_COOKIE = { hash_on: 'cookie', hash_on_cookie: 'sticky' } as const
const BY_QUERY_ARG = { hash_on: 'query_arg', hash_on_query_arg: 'k' } as const
const BY_CAPTURE = { hash_on: 'uri_capture', hash_on_uri_capture: 'model' } as const
const NEW_COOKIE = { value: 'id-1', setCookie: 'sticky=id-1; Path=/; Same-Site=Lax; HttpOnly' }

interface Case {
  name: string
  upstream: Partial<UpstreamHashConfig>
  req?: Partial<HashRequest>
  ctx?: Partial<HashContext>
  expected: HashValue
}

/** Runs `upstream` on one request; ids come from a counter: id-1, id-2, … */
function run(c: Omit<Case, 'name'>): { value: HashValue; ids: number } {
  let ids = 0
  const req: HashRequest = { path: '/', headers: {}, ...c.req }
  const ctx: HashContext = { randomId: () => `id-${++ids}`, ...c.ctx }
  return { value: hashValue({ ...NO_HASH, ...c.upstream }, req, ctx), ids }
}

function runCases(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const { value, ids } = run(c)
      assert.deepEqual(value, c.expected)
      // Only a missing hash cookie may draw an id.
      assert.equal(ids, typeof c.expected === 'object' ? 1 : 0)
    })
  }
}

describe('hashValue by kind', () => {
  runCases([
    { name: 'none', upstream: {}, ctx: { clientIp: '10.0.0.9' }, expected: undefined },
    {
      name: 'consumer id before credential id',
      upstream: { hash_on: 'consumer' },
      ctx: { consumerId: 'c1', credentialId: 'k1' },
      expected: 'c1',
    },
    {
      name: 'credential id without consumer',
      upstream: { hash_on: 'consumer' },
      ctx: { credentialId: 'k1' },
      expected: 'k1',
    },
    { name: 'no consumer', upstream: { hash_on: 'consumer' }, expected: undefined },
    { name: 'ip', upstream: { hash_on: 'ip' }, ctx: { clientIp: '1.2.3.4' }, expected: '1.2.3.4' },
    { name: 'path', upstream: { hash_on: 'path' }, req: { path: '/v1/a' }, expected: '/v1/a' },
    {
      name: 'uri capture by name',
      upstream: BY_CAPTURE,
      ctx: { uriCaptures: { model: 'gpt' } },
      expected: 'gpt',
    },
    {
      name: 'uri capture by number',
      upstream: { hash_on: 'uri_capture', hash_on_uri_capture: '1' },
      ctx: { uriCaptures: { '1': 'gpt' } },
      expected: 'gpt',
    },
  ])
})

describe('hashValue header', () => {
  // [request headers, expected]: name looked up case-insensitively, repeats joined like nginx
  const rows: [HashRequest['headers'], HashValue][] = [
    [{ 'x-user': 'alice' }, 'alice'],
    [{ 'x-user': ['a', 'b'] }, 'a, b'],
    [{ 'x-user': '' }, ''],
    [{ 'x-other': 'alice' }, undefined],
  ]
  for (const [headers, expected] of rows) {
    it(`${JSON.stringify(headers)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(run({ upstream: BY_HEADER, req: { headers }, expected }).value, expected)
    })
  }
})

describe('hashValue query_arg', () => {
  // [query string, expected]: decoded; a bare flag is "true"; repeats sorted, joined with ","
  const rows: [string, HashValue][] = [
    ['x=1&k=bob', 'bob'],
    ['k=a+b%21', 'a b!'],
    ['%6B=encoded-name', 'encoded-name'],
    ['k=b&k=a&k=c', 'a,b,c'],
    ['k', 'true'],
    ['k=1&k', '1,true'],
    ['k=', ''],
    ['k=%zz', '%zz'],
    ['j=1', undefined],
    ['', undefined],
  ]
  for (const [query, expected] of rows) {
    it(`${JSON.stringify(query)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(run({ upstream: BY_QUERY_ARG, req: { query }, expected }).value, expected)
    })
  }
})

describe('hashValue cookie', () => {
  runCases([
    {
      name: 'sent cookie',
      upstream: BY_COOKIE,
      req: { headers: { cookie: 'a=1; sticky=abc; b=2' } },
      expected: 'abc',
    },
    {
      name: 'name case-insensitive, first one wins',
      upstream: BY_COOKIE,
      req: { headers: { cookie: ['a=1', 'STICKY=first; sticky=second'] } },
      expected: 'first',
    },
    {
      name: 'missing cookie is generated with its path',
      upstream: { ...BY_COOKIE, hash_on_cookie_path: '/app' },
      req: { headers: { cookie: 'other=1' } },
      expected: { value: 'id-1', setCookie: 'sticky=id-1; Path=/app; Same-Site=Lax; HttpOnly' },
    },
    {
      name: 'generated cookie defaults to Path=/',
      upstream: { ...BY_COOKIE, hash_on_cookie_path: null },
      expected: NEW_COOKIE,
    },
  ])
})

describe('hashValue fallback', () => {
  runCases([
    {
      name: 'consumer → ip',
      upstream: { hash_on: 'consumer', hash_fallback: 'ip' },
      ctx: { clientIp: '10.0.0.1' },
      expected: '10.0.0.1',
    },
    {
      name: 'ip → header',
      upstream: { hash_on: 'ip', hash_fallback: 'header', hash_fallback_header: 'X-Session' },
      req: { headers: { 'x-session': 's-9' } },
      expected: 's-9',
    },
    {
      name: 'header → header uses the fallback name',
      upstream: { ...BY_HEADER, hash_fallback: 'header', hash_fallback_header: 'x-team' },
      req: { headers: { 'x-team': 'red' } },
      expected: 'red',
    },
    {
      name: 'header → header, both missing',
      upstream: { ...BY_HEADER, hash_fallback: 'header', hash_fallback_header: 'x-team' },
      expected: undefined,
    },
    {
      name: 'an empty primary value does not fall back',
      upstream: { ...BY_HEADER, hash_fallback: 'ip' },
      req: { headers: { 'x-user': '' } },
      ctx: { clientIp: '10.0.0.1' },
      expected: '',
    },
    {
      name: 'header → cookie, generated',
      upstream: { ...BY_HEADER, hash_fallback: 'cookie', hash_on_cookie: 'sticky' },
      expected: NEW_COOKIE,
    },
    {
      name: 'header → cookie, sent',
      upstream: { ...BY_HEADER, hash_fallback: 'cookie', hash_on_cookie: 'sticky' },
      req: { headers: { cookie: 'sticky=xyz' } },
      expected: 'xyz',
    },
    {
      name: 'query_arg → query_arg uses the fallback name',
      upstream: { ...BY_QUERY_ARG, hash_fallback: 'query_arg', hash_fallback_query_arg: 'j' },
      req: { query: 'j=7' },
      expected: '7',
    },
    {
      name: 'query_arg → path',
      upstream: { ...BY_QUERY_ARG, hash_fallback: 'path' },
      req: { path: '/p' },
      expected: '/p',
    },
    {
      name: 'uri_capture → uri_capture uses the fallback name',
      upstream: { ...BY_CAPTURE, hash_fallback: 'uri_capture', hash_fallback_uri_capture: 'org' },
      ctx: { uriCaptures: { org: 'acme' } },
      expected: 'acme',
    },
    {
      name: 'uri_capture without captures → consumer',
      upstream: { ...BY_CAPTURE, hash_fallback: 'consumer' },
      ctx: { uriCaptures: null, consumerId: 'c1' },
      expected: 'c1',
    },
  ])
})
