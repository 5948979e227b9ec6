// Route entity for router_flavor = traditional_compatible, after
// kong/db/schema/entities/routes.lua and routes_subschemas.lua. The subschema rules (which
// attributes each protocol family needs or forbids) are one custom entity check.

import { expandIpv6, parseHost } from './host.js'
import { MSG } from './messages.js'
import { PROTOCOLS } from './services.js'
import type { Entity, EntityCheckResult, EntityDefinition } from './schema.js'
import {
  checkHeaderName,
  createdAt,
  id,
  INT32_RANGE,
  tags,
  updatedAt,
  utf8Name,
} from './typedefs.js'

const GROUPS = [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs']]

const checkMethod = (m: string) => (/^[A-Z]+$/.test(m) ? undefined : MSG.invalidValue(m))

/** A port after the last colon that is out of range: Kong's normalize_ip says so. */
function hasInvalidPort(host: string): boolean {
  const m = /^(.*):(\d+)$/.exec(host)
  return m !== null && Number(m[2]) > 65535 && parseHost(m[1]!) !== undefined
}

/** typedefs.hosts: optional port, at most one wildcard at the leftmost or rightmost label. */
export const checkRouteHost = (host: string): string | undefined => {
  const stars = host.split('*').length - 1
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard'
  if (stars === 1 && !host.startsWith('*.') && !/\.\*(:\d+)?$/.test(host)) {
    return 'invalid wildcard: must be placed at leftmost or rightmost label'
  }
  const plain = host.replace('*', 'abc')
  if (parseHost(plain)) return undefined
  return hasInvalidPort(plain) ? 'invalid port number' : `invalid hostname: ${host}`
}

/** typedefs.wildcard_host (route `snis` under traditional_compatible): no IP, no port. */
export const checkRouteSni = (sni: string): string | undefined => {
  let host = sni
  const idx = sni.indexOf('*')
  if (idx !== -1) {
    if (idx !== 0 && idx !== sni.length - 1) return 'wildcard must be leftmost or rightmost character'
    if (sni.split('*').length - 1 > 1) return 'only one wildcard must be specified'
    host = sni.replace('*', 'wildcard')
  }
  const parsed = parseHost(host)
  if (!parsed) return hasInvalidPort(host) ? 'must not have a port' : MSG.invalidValue(host)
  if (parsed.type !== 'name') return 'must not be an IP'
  if (parsed.port !== undefined) return 'must not have a port'
  return undefined
}

function ipv4ToInt(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  return parts.every((n) => n <= 255) ? parts.reduce((a, n) => a * 256 + n, 0) : undefined
}

/** typedefs.ip_or_cidr: an IPv4/IPv6 address, optionally with a /prefix. */
export const checkIpOrCidr = (value: string): string | undefined => {
  const [ip, prefix, extra] = value.split('/')
  const v4 = ipv4ToInt(ip!) !== undefined
  const v6 = !v4 && !ip!.startsWith('[') && expandIpv6(ip!) !== undefined
  const max = v4 ? 32 : 128
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max)
  return (v4 || v6) && prefixOk && extra === undefined ? undefined : `invalid ip or cidr range: '${value}'`
}

/** Removes dot segments so a prefix path can be compared with its normalised form. */
function normalisePath(p: string): string {
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '.') continue
    if (seg === '..') out.pop()
    else out.push(seg)
  }
  const joined = out.join('/')
  return joined.startsWith('/') ? joined : '/' + joined
}

const RFC3986_PATH = /^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/

/**
 * typedefs.router_path, in Kong's order: no empty segment, `/` or `~/` first, then (as
 * typedefs.path's validator) a bad percent-encoding, but only when the path is otherwise
 * RFC 3986, so `/kong(-ee){0,1}.com` is a valid plain path; `~` regexes must compile,
 * plain paths must be normalised.
 */
export const checkRoutePath = (p: string): string | undefined => {
  if (p.includes('//')) return 'must not have empty segments'
  if (!p.startsWith('/') && !p.startsWith('~/')) return 'should start with: / (fixed path) or ~/ (regex path)'
  if (RFC3986_PATH.test(p)) {
    const raw = p.replace(/%[0-9A-Fa-f]{2}/g, '___')
    const at = raw.indexOf('%')
    if (at !== -1) return `invalid url-encoded value: '${raw.slice(at, at + 3)}'`
  }
  if (p.startsWith('~')) {
    try {
      new RegExp(p.slice(1))
      return undefined
    } catch (e) {
      return `invalid regex: '${p.slice(1)}' (PCRE returned: ${(e as Error).message})`
    }
  }
  const normal = normalisePath(p)
  if (normal !== p) return `non-normalized path, consider use '${normal}' instead`
  return undefined
}

const present = (v: unknown) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)
const isEmptyObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0

function quoteList(names: string[]): string {
  return names.map((n) => `'${n}'`).join(', ')
}

/** Kong's mutually_exclusive_subsets on `protocols`: the sets in the order their first member appears. */
function mutuallyExclusive(protocols: readonly unknown[]): string | undefined {
  const groups: string[][] = []
  for (const p of protocols) {
    const g = GROUPS.find((set) => set.includes(p as string))
    if (g && !groups.includes(g)) groups.push(g)
  }
  if (groups.length <= 1) return undefined
  return `these sets are mutually exclusive: ${groups.map((g) => `(${quoteList(g)})`).join(', ')}`
}

/** Subschema rules per protocol family (routes_subschemas.lua). */
function checkProtocols(route: Entity): EntityCheckResult | undefined {
  const protocols = route['protocols']
  if (!Array.isArray(protocols) || protocols.length === 0) return undefined
  if (mutuallyExclusive(protocols)) return undefined
  const has = (name: string) => present(route[name]) && !isEmptyObject(route[name])
  const fields: Record<string, string> = {}
  const is = (p: string) => protocols.includes(p)
  const http = is('http') || is('https')
  const grpc = is('grpc') || is('grpcs')
  // Attributes a protocol family refuses are field rules of its variant (routeVariant).
  if (grpc && route['strip_path'] === true) {
    fields['strip_path'] = "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"
  }
  const sniAllowed = is('https') || is('grpcs') || is('tls') || is('tls_passthrough')
  if (present(route['snis']) && !sniAllowed) {
    fields['snis'] =
      "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"
  }
  if (Object.keys(fields).length > 0) return { fields }

  let needed: string[]
  let label: string
  if (http) {
    needed = is('https')
      ? ['methods', 'hosts', 'headers', 'paths', 'snis']
      : ['methods', 'hosts', 'headers', 'paths']
    label = is('https') ? 'https' : 'http'
  } else if (grpc) {
    needed = is('grpcs') ? ['hosts', 'headers', 'paths', 'snis'] : ['hosts', 'headers', 'paths']
    label = is('grpcs') ? 'grpcs' : 'grpc'
  } else if (is('tls_passthrough')) {
    return has('snis') ? undefined : { entity: ["must set snis when 'protocols' is 'tls_passthrough'"] }
  } else {
    const stream = ['sources', 'destinations', 'snis']
    if (stream.some(has)) return undefined
    return { entity: [`must set one of ${quoteList(stream)} when 'protocols' is 'tcp', 'tls' or 'udp'`] }
  }
  if (!needed.some(has)) {
    return { entity: [`must set one of ${quoteList(needed)} when 'protocols' is '${label}'`] }
  }
  return undefined
}

/** Each source/destination names an ip or a port (typedefs.sources' at_least_one_of). */
function checkEndpoints(route: Entity): EntityCheckResult | undefined {
  const fields: Record<string, string> = {}
  for (const f of ['sources', 'destinations']) {
    const list = route[f]
    if (!Array.isArray(list)) continue
    const empty = (e: unknown) =>
      typeof e === 'object' && e !== null && (e as Entity)['ip'] == null && (e as Entity)['port'] == null
    if (list.some(empty)) fields[f] = MSG.atLeastOneOf(['ip', 'port'], false)
  }
  return Object.keys(fields).length > 0 ? { fields } : undefined
}

const endpoint = {
  type: 'record',
  fields: {
    ip: { type: 'string', check: checkIpOrCidr },
    port: { type: 'integer', between: [0, 65535] },
  },
} as const

const HOST_HEADER = `cannot contain 'host' header, which must be specified in the 'hosts' attribute`

const FAMILY_FORBIDS: Record<string, { fields: readonly string[]; when: string }> = {
  http: { fields: ['sources', 'destinations'], when: "'http' or 'https'" },
  stream: { fields: ['methods', 'hosts', 'paths', 'headers'], when: "'tcp', 'tls', 'tls_passthrough' or 'udp'" },
  grpc: { fields: ['methods', 'sources', 'destinations'], when: "'grpc' or 'grpcs'" },
}

function familyOf(protocol: unknown): string | undefined {
  if (protocol === 'http' || protocol === 'https') return 'http'
  if (protocol === 'grpc' || protocol === 'grpcs') return 'grpc'
  if (protocol === 'tcp' || protocol === 'tls' || protocol === 'udp' || protocol === 'tls_passthrough') return 'stream'
  return undefined
}

const variants = new Map<string, EntityDefinition>()

/**
 * Kong's route subschemas (routes_subschemas.lua), chosen by the first protocol: each replaces
 * the attributes its family cannot use by a must-be-null field with its own message, so
 * `methods = "GET"` on a grpc route reads "cannot set 'methods' …", not a type error.
 */
function routeVariant(entity: Entity): EntityDefinition {
  const protocols = entity['protocols']
  const family = Array.isArray(protocols) ? familyOf(protocols[0]) : familyOf('http')
  if (!family) return routes
  let def = variants.get(family)
  if (!def) {
    const { fields: names, when } = FAMILY_FORBIDS[family]!
    const fields = { ...routes.fields }
    for (const name of names) {
      fields[name] = { ...fields[name]!, forbidden: `cannot set '${name}' when 'protocols' is ${when}` }
    }
    def = { ...routes, fields }
    variants.set(family, def)
  }
  return def
}

export const routes: EntityDefinition = {
  name: 'routes',
  primary_key: 'id',
  endpoint_key: 'name',
  unique: ['name'],
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    name: utf8Name(),
    protocols: {
      type: 'set',
      required: true,
      len_min: 1,
      elements: { type: 'string', one_of: PROTOCOLS },
      default: ['http', 'https'],
      check: mutuallyExclusive,
    },
    https_redirect_status_code: {
      type: 'integer',
      one_of: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
    },
    strip_path: { type: 'boolean', required: true, default: true },
    preserve_host: { type: 'boolean', required: true, default: false },
    request_buffering: { type: 'boolean', required: true, default: true },
    response_buffering: { type: 'boolean', required: true, default: true },
    tags: tags(),
    service: { type: 'foreign', reference: 'services', on_delete: 'restrict' },
    snis: { type: 'set', elements: { type: 'string', check: checkRouteSni } },
    sources: { type: 'set', elements: endpoint },
    destinations: { type: 'set', elements: endpoint },
    methods: { type: 'set', elements: { type: 'string', check: checkMethod } },
    hosts: { type: 'array', elements: { type: 'string', check: checkRouteHost } },
    paths: { type: 'array', elements: { type: 'string', check: checkRoutePath } },
    headers: {
      type: 'map',
      // Kong's match_none on the key: `host` in any case belongs in `hosts`.
      keys: { type: 'string', check: (k) => (k.toLowerCase() === 'host' ? HOST_HEADER : checkHeaderName(k)) },
      values: { type: 'array', elements: { type: 'string' } },
    },
    regex_priority: { type: 'integer', default: 0, between: INT32_RANGE },
    path_handling: { type: 'string', one_of: ['v0', 'v1'], default: 'v0' },
  },
  entity_checks: [{ custom: checkProtocols }, { custom: checkEndpoints }],
  variant: (entity) => routeVariant(entity),
  prepare: (input, op) => {
    // The grpc subschema defaults strip_path to false (and rejects true).
    const protocols = input['protocols']
    if (
      op !== 'update' &&
      input['strip_path'] === undefined &&
      Array.isArray(protocols) &&
      protocols.length > 0 &&
      protocols.every((p) => p === 'grpc' || p === 'grpcs')
    ) {
      input['strip_path'] = false
    }
    return undefined
  },
}
