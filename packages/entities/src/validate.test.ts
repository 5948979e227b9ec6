// validateEntity: Kong's field-error tree for whole entities — message order per value, nested
// records, positional array errors, entity checks, keyless foreign references, and the rules
// our storage adds (NUL characters, column ranges).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { withDefaults } from './defaults.js'
import { routes } from './routes.js'
import type { Entity, EntityDefinition } from './schema.js'
import { services } from './services.js'
import { targets } from './targets.js'
import { upstreams } from './upstreams.js'
import { validateEntity } from './validate.js'

const ID = '6f0ef4b5-0000-4000-8000-000000000001'

/** A complete entity as the write pipeline hands it to validation. */
function full(def: EntityDefinition, input: Entity): Entity {
  return withDefaults(def.fields, { id: ID, created_at: 1, updated_at: 1, ...input })
}

const cases: { name: string; def: EntityDefinition; input: Entity; errors: unknown }[] = [
  { name: 'a valid upstream', def: upstreams, input: { name: 'u.test' }, errors: undefined },
  { name: 'a valid route', def: routes, input: { paths: ['/'] }, errors: undefined },
  { name: 'a missing required field', def: upstreams, input: {}, errors: { name: 'required field missing' } },
  { name: 'an unknown field', def: upstreams, input: { name: 'u.test', nope: 1 }, errors: { nope: 'unknown field' } },
  {
    name: 'an unknown field called __proto__',
    def: upstreams,
    input: JSON.parse('{"name":"u.test","__proto__":{"x":1}}'),
    errors: JSON.parse('{"__proto__":"unknown field"}'),
  },
  {
    name: 'a type error only, not the bound as well',
    def: upstreams,
    input: { name: 'u.test', slots: 'many' },
    errors: { slots: 'expected an integer' },
  },
  {
    name: 'length before the path rule (Kong checks len_min first)',
    def: upstreams,
    input: { name: 'u.test', healthchecks: { active: { http_path: '' } } },
    errors: { healthchecks: { active: { http_path: 'length must be at least 1' } } },
  },
  {
    name: 'a positional error inside an array',
    def: upstreams,
    input: { name: 'u.test', healthchecks: { passive: { unhealthy: { http_statuses: [500, 1000, 503] } } } },
    errors: { healthchecks: { passive: { unhealthy: { http_statuses: [null, 'value should be between 100 and 999'] } } } },
  },
  {
    name: 'a conditional that overwrites the field error',
    def: upstreams,
    input: { name: 'u.test', hash_on: 'consumer', hash_fallback: 'consumer' },
    errors: {
      '@entity': ["failed conditional validation given value of field 'hash_on'"],
      hash_fallback: 'expected one of: none, ip, header, cookie, path, query_arg, uri_capture',
    },
  },
  {
    name: 'NUL characters, which Postgres cannot store',
    def: upstreams,
    input: { name: 'u.test', hash_on_query_arg: 'a\u0000b', healthchecks: { active: { headers: { 'x-a': ['\u0000'] } } } },
    errors: {
      hash_on_query_arg: 'must not contain NUL characters',
      healthchecks: { active: { headers: { 'x-a': ['must not contain NUL characters'] } } },
    },
  },
  {
    name: 'a created_at beyond the exactly representable integers',
    def: upstreams,
    input: { name: 'u.test', created_at: 2 ** 60 },
    errors: { created_at: 'value should be between -9007199254740991 and 9007199254740991' },
  },
  {
    name: 'a keyless service reference with a bad field reports that field',
    def: routes,
    input: { paths: ['/'], service: { protocol: 'foo' } },
    errors: { service: { protocol: 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp' } },
  },
  {
    name: 'a keyless service reference with valid fields is a missing primary key',
    def: routes,
    input: { paths: ['/'], service: { protocol: 'http', name: null } },
    errors: { service: { id: 'missing primary key' } },
  },
  {
    name: 'a service reference with a malformed id',
    def: routes,
    input: { paths: ['/'], service: { id: 'x' } },
    errors: { service: { id: 'expected a valid UUID' } },
  },
  {
    name: 'a non-sequence where a set is expected',
    def: routes,
    input: { paths: ['/'], methods: { 2: 'GET' } },
    errors: { methods: 'expected a set' },
  },
  {
    name: 'a route entity check after field checks pass',
    def: routes,
    input: {},
    errors: { '@entity': ["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"] },
  },
  {
    name: 'a service conditional on protocol',
    def: services,
    input: { host: 'a.test', protocol: 'tcp', path: '/x' },
    errors: { '@entity': ["failed conditional validation given value of field 'protocol'"], path: 'value must be null' },
  },
  {
    name: 'a target backup that is not a boolean',
    def: targets,
    input: { upstream: { id: ID }, target: 'a.test:80', backup: 'yes' },
    errors: { backup: 'expected a boolean' },
  },
]

for (const c of cases) {
  test(`validateEntity: ${c.name}`, () => {
    assert.deepEqual(validateEntity(c.def, full(c.def, c.input)), c.errors)
    assert.equal(({} as Record<string, unknown>)['x'], undefined, 'no prototype pollution')
  })
}
