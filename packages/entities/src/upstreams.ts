// Upstream entity, after kong/db/schema/entities/upstreams.lua: hashing fields, slots, the
// healthchecks tree with every default written once, and the algorithm ↔ hash_on coupling.

import { parseHost } from './host.js'
import type { Entity, EntityDefinition, Fields, RecordField } from './schema.js'
import {
  checkCookieName,
  checkHostWithOptionalPort,
  checkSni,
  counter,
  createdAt,
  headerName,
  headers,
  httpStatuses,
  id,
  path,
  seconds,
  tags,
  updatedAt,
} from './typedefs.js'

export const ALGORITHMS = ['consistent-hashing', 'least-connections', 'round-robin', 'latency'] as const
// Extension: the target with the fewest tokens used this minute per unit of weight (or of its
// `tpm`) gets the request. Accepted, but not listed in Kong's "expected one of" message.
export const EXTENSION_ALGORITHMS = ['lowest-usage'] as const
export const HASH_ON = [
  'none',
  'consumer',
  'ip',
  'header',
  'cookie',
  'path',
  'query_arg',
  'uri_capture',
] as const
const CHECK_TYPES = ['tcp', 'http', 'https', 'grpc', 'grpcs'] as const

export const checkUpstreamName = (name: string): string | undefined => {
  const parsed = parseHost(name)
  if (!parsed) return `Invalid name ('${name}'); must be a valid hostname`
  if (parsed.type !== 'name') return `Invalid name ('${name}'); no ip addresses allowed`
  if (parsed.port !== undefined) return `Invalid name ('${name}'); no port allowed`
  return undefined
}

const record = (fields: Fields): RecordField => ({ type: 'record', fields, required: true, default: {} })

const healthchecks: RecordField = record({
  active: record({
    type: { type: 'string', one_of: CHECK_TYPES, default: 'http' },
    timeout: seconds(1),
    concurrency: { type: 'integer', between: [1, 2147483648], default: 10 },
    http_path: path({ default: '/' }),
    https_sni: { type: 'string', check: checkSni },
    https_verify_certificate: { type: 'boolean', default: true, required: true },
    headers: headers(),
    healthy: record({
      interval: seconds(0),
      http_statuses: httpStatuses([200, 302]),
      successes: counter(),
    }),
    unhealthy: record({
      interval: seconds(0),
      http_statuses: httpStatuses([429, 404, 500, 501, 502, 503, 504, 505]),
      tcp_failures: counter(),
      timeouts: counter(),
      http_failures: counter(),
    }),
  }),
  passive: record({
    type: { type: 'string', one_of: CHECK_TYPES, default: 'http' },
    healthy: record({
      http_statuses: httpStatuses([
        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307,
        308,
      ]),
      successes: counter(),
    }),
    unhealthy: record({
      http_statuses: httpStatuses([429, 500, 503]),
      tcp_failures: counter(),
      timeouts: counter(),
      http_failures: counter(),
    }),
  }),
  threshold: { type: 'number', between: [0, 100], default: 0 },
})

// Extension: AI-aware balancing of the upstream's targets (packages/ai reads these).
const ai: RecordField = record({
  // Provider rate-limit signals (429, Retry-After, x-ratelimit-*) cool targets down cluster-wide
  // and make requests fail over; off gives Kong's plain behaviour.
  signals: { type: 'boolean', default: true, required: true },
  default_cooldown: { type: 'number', between: [0, 86400], default: 5 },
  max_cooldown: { type: 'number', between: [0, 86400], default: 300 },
  // Tokens a request reserves against a target's tpm when its body names no max_tokens.
  token_reservation: { type: 'integer', between: [0, 10000000], default: 256 },
})

const ifHashOn = (value: string, then_field: string) =>
  ({
    conditional: { if_field: 'hash_on', if_match: [value], then_field, then_match: { required: true } },
  }) as const
const ifFallback = (value: string, then_field: string) =>
  ({
    conditional: {
      if_field: 'hash_fallback',
      if_match: [value],
      then_field,
      then_match: { required: true },
    },
  }) as const
const fallbackOneOf = (hashOn: string, allowed: readonly string[]) =>
  ({
    conditional: {
      if_field: 'hash_on',
      if_match: [hashOn],
      then_field: 'hash_fallback',
      then_match: { one_of: allowed },
    },
  }) as const

/**
 * Kong's shorthand coupling, applied on every write: least-connections and latency clear
 * hash_on; hash_on none means round-robin, any other hash_on means consistent-hashing.
 */
function coupleAlgorithm(input: Entity): undefined {
  const algorithm = input['algorithm']
  if (algorithm === 'least-connections' || algorithm === 'latency' || algorithm === 'lowest-usage') {
    input['hash_on'] = 'none'
    return undefined
  }
  if (!('hash_on' in input)) return undefined
  const hashOn = input['hash_on']
  if (hashOn === null) input['hash_on'] = 'none'
  else if (hashOn === 'none') input['algorithm'] = 'round-robin'
  else if (typeof hashOn === 'string' && (HASH_ON as readonly string[]).includes(hashOn)) {
    input['algorithm'] = 'consistent-hashing'
  }
  return undefined
}

export const upstreams: EntityDefinition = {
  name: 'upstreams',
  primary_key: 'id',
  endpoint_key: 'name',
  unique: ['name'],
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    name: { type: 'string', required: true, check: checkUpstreamName },
    algorithm: { type: 'string', one_of: ALGORITHMS, one_of_extensions: EXTENSION_ALGORITHMS, default: 'round-robin' },
    hash_on: { type: 'string', one_of: HASH_ON, default: 'none' },
    hash_fallback: { type: 'string', one_of: HASH_ON, default: 'none' },
    hash_on_header: headerName(),
    hash_fallback_header: headerName(),
    hash_on_cookie: { type: 'string', check: checkCookieName },
    hash_on_cookie_path: path({ default: '/' }),
    hash_on_query_arg: { type: 'string' },
    hash_fallback_query_arg: { type: 'string' },
    hash_on_uri_capture: { type: 'string' },
    hash_fallback_uri_capture: { type: 'string' },
    slots: { type: 'integer', between: [10, 65536], default: 10000 },
    healthchecks,
    tags: tags(),
    host_header: { type: 'string', check: checkHostWithOptionalPort },
    client_certificate: { type: 'foreign', reference: 'certificates' },
    use_srv_name: { type: 'boolean', default: false },
    // Extensions (AI-aware balancing): signals, cooldowns and reservations; slow start in
    // seconds (0 = off) for targets coming back from unhealthy, cooldown or weight 0.
    ai,
    slow_start: { type: 'number', between: [0, 3600], default: 0 },
  },
  entity_checks: [
    ifHashOn('header', 'hash_on_header'),
    ifFallback('header', 'hash_fallback_header'),
    ifHashOn('cookie', 'hash_on_cookie'),
    ifFallback('cookie', 'hash_on_cookie'),
    fallbackOneOf('none', ['none']),
    fallbackOneOf('cookie', ['none']),
    fallbackOneOf('consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackOneOf('ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackOneOf('path', ['none', 'consumer', 'header', 'cookie', 'query_arg', 'ip', 'uri_capture']),
    { distinct: ['hash_on_header', 'hash_fallback_header'] },
    ifHashOn('query_arg', 'hash_on_query_arg'),
    ifFallback('query_arg', 'hash_fallback_query_arg'),
    { distinct: ['hash_on_query_arg', 'hash_fallback_query_arg'] },
    ifHashOn('uri_capture', 'hash_on_uri_capture'),
    ifFallback('uri_capture', 'hash_fallback_uri_capture'),
    { distinct: ['hash_on_uri_capture', 'hash_fallback_uri_capture'] },
  ],
  prepare: coupleAlgorithm,
}
