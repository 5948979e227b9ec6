// The Admin API fuzzer's request generator: from the router's path table and the entity
// definitions, plausible bodies (so requests get past the first check and reach the DAO),
// then mutated (wrong types, missing or unknown fields, garbage strings, deep nesting), in JSON,
// form-urlencoded or multipart; plus random paths and query strings. Pure: all randomness comes
// from the Random it is given, so a seed replays a run.

import { ENTITIES, PLUGIN_SCHEMAS, type EntityDefinition, type Field, type Fields } from '@switchyard/entities'
import type { Random } from './random.js'

export type Encoding = 'json' | 'form' | 'multipart' | 'none'

export interface FuzzRequest {
  method: string
  /** Path and query string, already percent-encoded where it is meant to be. */
  path: string
  headers: Record<string, string>
  body?: Buffer
  encoding: Encoding
  /** The router path it was made from, or `(random)`. */
  endpoint: string
  randomPath: boolean
  randomQuery: boolean
}

/** Ids and names the runner saw in answers, so requests can address stored entities. */
export interface FuzzWorld {
  known: Record<string, string[]>
}

export function emptyWorld(): FuzzWorld {
  return { known: Object.fromEntries(Object.keys(ENTITIES).map((k) => [k, []])) }
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH'])
const PARAM_ENTITY: Record<string, string> = {
  upstream: 'upstreams',
  target: 'targets',
  service: 'services',
  route: 'routes',
  plugin: 'plugins',
}
const PLUGIN_NAMES = Object.keys(PLUGIN_SCHEMAS)

const GARBAGE_STRINGS = [
  '',
  ' ',
  'x',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff',
  'ü',
  '日本',
  '🚀',
  '%',
  '%zz',
  '%00',
  '../..',
  '/',
  '//',
  '*',
  '~',
  'null',
  'true',
  '0',
  '-1',
  '1e999',
  'NaN',
  '{}',
  '[]',
  '<script>',
  "'; drop table services; --",
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '::1',
  '[::1]:80',
  '127.0.0.1:99999',
  'http://',
  'http://x.test:0/p',
  'grpcs://a.test:1/',
  '~/(?<x>',
  '~/[',
  '\\',
]

const HOSTS = ['a.test', 'b.test', 'api.example.test', '127.0.0.1', '10.0.0.1', '::1', 'xn--e1afmkfd.test', 'x']

/** A string that is plausible for a field of this name, or garbage. */
function plausibleString(rng: Random, name: string, field: Field & { type: 'string' }, clean: boolean): string {
  if (field.one_of && (clean || rng.chance(0.8))) return rng.pick(field.one_of)
  if (field.uuid && (clean || rng.chance(0.7))) return randomUuid(rng)
  if (!clean && rng.chance(0.15)) return rng.pick(GARBAGE_STRINGS)
  if (!clean && rng.chance(0.02)) return 'y'.repeat(rng.pick([256, 1000, 70_000]))
  switch (name) {
    case 'host':
    case 'name':
    case 'host_header':
      return `${rng.pick(['svc', 'up', 'r', 'fz'])}${rng.int(50)}.${rng.pick(['test', 'example.test'])}`
    case 'target':
      return `${rng.pick(HOSTS)}:${rng.pick([80, 443, 8080, 1, 65535, 0, 70000])}`
    case 'path':
    case 'paths':
    case 'http_path':
    case 'hash_on_cookie_path':
      return clean ? rng.pick(['/', '/v1', '/a/b', '/x-' + rng.int(100)]) : rng.pick(['/', '/v1', '/a/b', '', 'nope', '/%zz', '//x', '~/v[0-9]+', '~/('])
    case 'url':
      return clean ? rng.pick(['http://a.test', 'https://b.test:8443/p']) : rng.pick(['http://a.test', 'https://b.test:8443/p', 'grpc://c.test', 'ftp://x', 'http://', ':::'])
    case 'hosts':
      return rng.pick(HOSTS.slice(0, 3)) + (clean ? '' : rng.pick(['', ':8000', '.', '*']))
    default:
      return `${name}-${rng.int(1000)}`
  }
}

function randomUuid(rng: Random): string {
  const hex = () => rng.int(16).toString(16)
  const part = (n: number) => Array.from({ length: n }, hex).join('')
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`
}

/** Any JSON value, nested up to `depth`. */
export function garbageValue(rng: Random, depth = 2): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
      return null
    case 1:
      return rng.chance(0.5)
    case 2:
      return rng.pick([0, -1, 1, 1.5, 2 ** 31, 2 ** 53 + 2, -1e308, 1e308, 65536, 86400000])
    case 3:
    case 4:
      return rng.pick(GARBAGE_STRINGS)
    case 5:
      return rng.int(1000)
    case 6:
      return Array.from({ length: rng.int(4) }, () => garbageValue(rng, depth - 1))
    case 7:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [rng.pick(['a', 'id', 'name', '', '$ne', 'config']), garbageValue(rng, depth - 1)])
      )
    default:
      // Deep nesting: a parser or a recursive validator must not fall over.
      return rng.chance(0.5) ? nested(rng.int(200) + 20) : { id: rng.pick(GARBAGE_STRINGS) }
  }
}

function nested(depth: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

/** A value shaped like `field`, perturbed now and then. */
function valueFor(rng: Random, name: string, field: Field, world: FuzzWorld, depth: number, clean: boolean): unknown {
  if (!clean && rng.chance(0.04)) return garbageValue(rng)
  switch (field.type) {
    case 'string':
      return plausibleString(rng, name, field, clean)
    case 'integer':
    case 'number': {
      if (field.one_of && rng.chance(0.7)) return rng.pick(field.one_of)
      if (field.between && (clean || rng.chance(0.7))) {
        const [lo, hi] = field.between
        const inside = lo + rng.int(Math.min(hi - lo + 1, 1_000_000))
        return clean || rng.chance(0.8) ? inside : rng.pick([lo - 1, hi + 1, lo, hi])
      }
      return clean ? rng.pick([0, 1, 5, 60000]) : rng.pick([0, 1, 5, 60000, -5, 1.5])
    }
    case 'boolean':
      return clean || rng.chance(0.9) ? rng.chance(0.5) : rng.pick(['true', 'false', 1, 0])
    case 'array':
    case 'set':
      return Array.from({ length: rng.int(4) }, () => valueFor(rng, name, field.elements, world, depth + 1, clean))
    case 'map':
      return Object.fromEntries(
        Array.from({ length: rng.int(3) }, () => [
          valueFor(rng, 'key', field.keys, world, depth + 1, clean) as string,
          valueFor(rng, name, field.values, world, depth + 1, clean),
        ])
      )
    case 'record':
      return depth > 4 || !field.fields ? {} : recordFor(rng, field.fields, world, depth + 1, clean)
    case 'foreign': {
      const pool = world.known[field.reference] ?? []
      if (pool.length > 0 && (clean || rng.chance(0.7))) return { id: rng.pick(pool) }
      if (clean) return null
      return rng.chance(0.5) ? { id: randomUuid(rng) } : garbageValue(rng)
    }
  }
}

function recordFor(rng: Random, fields: Fields, world: FuzzWorld, depth: number, clean: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(fields)) {
    // Defaults and server-set fields are usually left out, as clients do; a clean body sets few
    // optional fields, since each one can conflict with another (url vs host, tls vs protocol).
    const keep = field.auto ? !clean && rng.chance(0.1) : field.required && field.default === undefined ? clean || rng.chance(0.97) : rng.chance(clean ? 0.1 : 0.35)
    if (keep) out[name] = valueFor(rng, name, field, world, depth, clean)
  }
  if (!clean && rng.chance(0.05)) out[rng.pick(['unknown', 'config', '__proto__', 'x.y', 'a[1]'])] = garbageValue(rng)
  return out
}

/** Replaces, removes or adds one value somewhere in `body`. */
function mutate(rng: Random, body: Record<string, unknown>): void {
  let target: Record<string, unknown> = body
  // Walk down into a nested record now and then.
  for (let i = 0; i < 3; i++) {
    const nestedKeys = Object.keys(target).filter((k) => {
      const v = target[k]
      return typeof v === 'object' && v !== null && !Array.isArray(v)
    })
    if (nestedKeys.length === 0 || rng.chance(0.5)) break
    target = target[rng.pick(nestedKeys)] as Record<string, unknown>
  }
  const keys = Object.keys(target)
  const op = keys.length === 0 ? 2 : rng.int(3)
  if (op === 0) target[rng.pick(keys)] = garbageValue(rng)
  else if (op === 1) delete target[rng.pick(keys)]
  else target[rng.pick(['unknown', 'name', 'id', 'tags', 'config', '__proto__', 'x.y', 'a[1]'])] = garbageValue(rng)
}

/** A body for `def`: plausible, then mutated. */
export function bodyFor(rng: Random, def: EntityDefinition, world: FuzzWorld): unknown {
  if (rng.chance(0.05)) return garbageValue(rng, 3)
  // Half the bodies are clean (they should mostly be stored, building up state that later
  // requests address); the other half are wild, then mutated once to three times.
  const clean = rng.chance(0.5)
  let d = def
  let body: Record<string, unknown>
  if (def.name === 'plugins') {
    const name = clean || rng.chance(0.9) ? rng.pick(PLUGIN_NAMES) : rng.pick(GARBAGE_STRINGS)
    d = def.variant?.({ name }) ?? def
    body = recordFor(rng, d.fields, world, 0, clean)
    body['name'] = name
  } else {
    body = recordFor(rng, d.fields, world, 0, clean)
  }
  if (!clean) for (let i = rng.int(3); i >= 0; i--) mutate(rng, body)
  return body
}

/** Form pairs as Kong's clients write them: dotted records, 1-based `x[i]`, empty for null. */
export function formPairs(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined) return [[prefix, '']]
  if (Array.isArray(value)) return value.flatMap((v, i) => formPairs(v, `${prefix}[${i + 1}]`))
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => formPairs(v, prefix ? `${prefix}.${k}` : k))
  }
  return [[prefix, String(value)]]
}

function encodeForm(pairs: [string, string][]): Buffer {
  return Buffer.from(new URLSearchParams(pairs).toString(), 'utf8')
}

function encodeMultipart(rng: Random, pairs: [string, string][], boundary: string): Buffer {
  const parts = pairs.map(([k, v]) => {
    const name = rng.chance(0.03) ? '' : `; name="${k.replace(/"/g, '%22')}"`
    const file = rng.chance(0.03) ? '; filename="x.bin"\r\nContent-Type: application/octet-stream' : ''
    return `--${boundary}\r\nContent-Disposition: form-data${name}${file}\r\n\r\n${v}\r\n`
  })
  let text = parts.join('') + `--${boundary}--\r\n`
  // Broken framing now and then: a truncated body or a missing closing boundary.
  if (rng.chance(0.05)) text = text.slice(0, rng.int(text.length + 1))
  return Buffer.from(text, 'utf8')
}

/** Encodes `value` in one of the three encodings, sometimes with a lying content type. */
function encode(rng: Random, value: unknown, encoding: Exclude<Encoding, 'none'>): { body: Buffer; headers: Record<string, string> } {
  if (encoding === 'json') {
    let text = JSON.stringify(value) ?? 'null'
    if (rng.chance(0.05)) text = text.slice(0, rng.int(text.length + 1))
    return { body: Buffer.from(text, 'utf8'), headers: { 'content-type': rng.chance(0.95) ? 'application/json' : 'application/json; charset=latin1' } }
  }
  const pairs = typeof value === 'object' && value !== null ? formPairs(value) : [['value', String(value)] as [string, string]]
  if (encoding === 'form') {
    let body = encodeForm(pairs)
    if (rng.chance(0.05)) body = Buffer.from(rng.pick(['%zz=%zz&=&&==&name', 'a[99999999]=1&b[-1]=2', '.=x&..=y', 'a.b.c.d.e.f=1&a.b=2', 'x=' + '%'.repeat(100)]))
    return { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  }
  const boundary = rng.chance(0.95) ? `fuzz${rng.int(1e9)}` : rng.pick(['', '"', 'x'.repeat(100)])
  const type = rng.chance(0.97) ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data'
  return { body: encodeMultipart(rng, pairs, boundary), headers: { 'content-type': type } }
}

const SEGMENTS = ['upstreams', 'targets', 'services', 'routes', 'plugins', 'schemas', 'health', 'all', 'healthy', 'unhealthy', 'enabled', 'validate', 'status', 'endpoints', 'metrics', 'consumers', 'certificates', '%2e%2e', '..', '%zz', '%00', '%C0%AF', '%ff', '', 'x'.repeat(300)]

/** Percent-encodes any string as a path segment (lone surrogates become U+FFFD, as in UTF-8). */
function pathSegment(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('')
}

function randomPath(rng: Random, world: FuzzWorld): string {
  const n = 1 + rng.int(5)
  const segs = Array.from({ length: n }, () => {
    if (rng.chance(0.3)) {
      const pool = world.known[rng.pick(Object.keys(world.known))] ?? []
      if (pool.length > 0) return pathSegment(rng.pick(pool))
    }
    return rng.pick(SEGMENTS)
  })
  return '/' + segs.join('/')
}

const QUERY_KEYS = ['size', 'offset', 'tags', 'name', 'id', 'balancer_health', 'filter', '', 'size[]', 'a.b', '__proto__']
const QUERY_VALUES = ['1', '0', '-1', '1000', '1001', '1e400', 'abc', '%zz', '%00', 't1,t2', 't1/t2', Buffer.from('[null]').toString('base64'), 'A'.repeat(3000), '']

function randomQuery(rng: Random): string {
  const n = 1 + rng.int(4)
  return Array.from({ length: n }, () => {
    const k = rng.pick(QUERY_KEYS)
    const v = rng.pick(QUERY_VALUES)
    return rng.chance(0.1) ? k : `${k}=${v}`
  }).join('&')
}

/** Fills `:param` segments from the world (known ids and names), or with something odd. */
function fillParams(rng: Random, template: string, world: FuzzWorld): string {
  return template.replace(/:([a-z_]+)/g, (_m, param: string) => {
    const entity = PARAM_ENTITY[param]
    const pool = entity ? (world.known[entity] ?? []) : []
    if (pool.length > 0 && rng.chance(0.75)) return pathSegment(rng.pick(pool))
    if (param === 'entity') return rng.pick([...Object.keys(ENTITIES), 'consumers', 'nope'])
    if (param === 'name') return rng.pick([...PLUGIN_NAMES, 'nope'])
    if (param === 'address') return pathSegment(`${rng.pick(HOSTS)}:${rng.pick([80, 8080])}`)
    return rng.chance(0.5) ? randomUuid(rng) : pathSegment(rng.pick(GARBAGE_STRINGS)) || 'x'
  })
}

/** The entity a path's body is for: the last collection named in the template. */
function entityOf(template: string): EntityDefinition | undefined {
  const segs = template.split('/').filter((s) => s !== '' && !s.startsWith(':'))
  for (let i = segs.length - 1; i >= 0; i--) {
    const def = (ENTITIES as Record<string, EntityDefinition>)[segs[i]!]
    if (def) return def
  }
  const params = template.match(/:([a-z_]+)/g) ?? []
  const last = params.at(-1)?.slice(1)
  const name = last ? PARAM_ENTITY[last] : undefined
  return name ? (ENTITIES as Record<string, EntityDefinition>)[name] : undefined
}

/**
 * A body nesting around and far past the parsers' depth limit (lua-cjson's 1000), written as
 * text: building it as a value would overflow the generator's own stack first.
 */
function deepBody(rng: Random, encoding: Exclude<Encoding, 'none'>): { body: Buffer; headers: Record<string, string> } {
  const depth = rng.pick([999, 1000, 1001, 20_000, 100_000])
  const field = rng.pick(['tags', 'config', 'x', 'healthchecks'])
  if (encoding === 'json') {
    const inner = rng.chance(0.5) ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
    return { body: Buffer.from(`{"name":"deep","${field}":${inner}}`), headers: { 'content-type': 'application/json' } }
  }
  const key = field + (rng.chance(0.5) ? '[1]'.repeat(depth) : '.a'.repeat(depth))
  if (encoding === 'form') {
    return { body: Buffer.from(`name=deep&${key}=1`), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  }
  const text = `--d\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n1\r\n--d--\r\n`
  return { body: Buffer.from(text), headers: { 'content-type': 'multipart/form-data; boundary=d' } }
}

function likelyMethods(template: string): readonly string[] {
  const last = template.split('/').at(-1) ?? ''
  if (last === 'healthy' || last === 'unhealthy') return ['PUT', 'POST']
  if (last === 'validate') return ['POST']
  if (last.startsWith(':')) return ['GET', 'PATCH', 'PATCH', 'PUT', 'PUT', 'DELETE']
  if (last in ENTITIES) return ['GET', 'POST', 'POST', 'POST']
  return ['GET']
}

/** One request: an endpoint of the router (mostly) or a random path, any method. */
export function generateRequest(rng: Random, endpoints: readonly string[], world: FuzzWorld): FuzzRequest {
  const isRandomPath = rng.chance(0.1)
  const endpoint = isRandomPath ? '(random)' : rng.pick(endpoints)
  let path = isRandomPath ? randomPath(rng, world) : fillParams(rng, endpoint, world)
  const isRandomQuery = rng.chance(0.15)
  if (isRandomQuery) path += `?${randomQuery(rng)}`
  // Mostly the methods the endpoint serves (so requests get past 405 and into the handlers),
  // with writes favoured because that is where bugs live; sometimes any method.
  const method = rng.chance(0.85) ? rng.pick(likelyMethods(endpoint)) : rng.pick(METHODS)
  const request: FuzzRequest = { method, path, headers: {}, encoding: 'none', endpoint, randomPath: isRandomPath, randomQuery: isRandomQuery }
  if (!WRITE_METHODS.has(method) && !rng.chance(0.03)) return request
  const def = entityOf(endpoint) ?? rng.pick(Object.values(ENTITIES) as EntityDefinition[])
  const encoding = rng.pick(['json', 'form', 'multipart'] as const)
  if (rng.chance(0.01)) return { ...request, ...deepBody(rng, encoding), encoding }
  const value = bodyFor(rng, def, world)
  const { body, headers } = encode(rng, value, encoding)
  return { ...request, body, headers, encoding }
}
