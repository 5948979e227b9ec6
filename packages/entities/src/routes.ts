// Route entity for router_flavor = traditional_compatible, after
// kong/db/schema/entities/routes.lua and routes_subschemas.lua. The subschema rules (which
// attributes each protocol family needs or forbids) are one custom entity check.

import { parseHost } from './host.js'
import { MSG } from './messages.js'
import { PROTOCOLS } from './services.js'
import type { Entity, EntityCheckResult, EntityDefinition } from './schema.js'
import {
  checkHeaderName,
  checkPath,
  checkSni,
  createdAt,
  id,
  INT32_RANGE,
  tags,
  updatedAt,
  utf8Name,
} from './typedefs.js'

const GROUPS = [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs']]

const checkMethod = (m: string) => (/^[A-Z]+$/.test(m) ? undefined : MSG.invalidValue(m))

/** A route host: optional port, at most one wildcard at the leftmost or rightmost label. */
export const checkRouteHost = (host: string): string | undefined => {
  const stars = host.split('*').length - 1
  if (stars > 1) return 'invalid wildcard: must have at most one wildcard'
  let plain = host
  if (stars === 1) {
    if (host.startsWith('*.')) plain = 'x' + host.slice(1)
    else if (/\.\*(:\d+)?$/.test(host)) plain = host.replace('*', 'x')
    else return 'invalid wildcard: must be placed at leftmost or rightmost label'
  }
  return parseHost(plain) ? undefined : `invalid hostname: ${host}`
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

/** typedefs.router_path: `~`-prefixed regexes must compile; prefixes must be normalised. */
export const checkRoutePath = (p: string): string | undefined => {
  if (p.startsWith('~')) {
    try {
      new RegExp(p.slice(1))
      return undefined
    } catch (e) {
      return `invalid regex: '${p.slice(1)}' (PCRE returned: ${(e as Error).message})`
    }
  }
  const err = checkPath(p)
  if (err) return err
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

/** Subschema rules per protocol family (routes_subschemas.lua). */
function checkProtocols(route: Entity): EntityCheckResult | undefined {
  const protocols = route['protocols']
  if (!Array.isArray(protocols) || protocols.length === 0) return undefined
  const groups = GROUPS.filter((g) => protocols.some((p) => g.includes(p as string)))
  if (groups.length > 1) {
    return {
      entity: [
        `these sets are mutually exclusive: ${groups.map((g) => `(${quoteList(g)})`).join(', ')}`,
      ],
    }
  }
  const has = (name: string) => present(route[name]) && !isEmptyObject(route[name])
  const fields: Record<string, string> = {}
  const is = (p: string) => protocols.includes(p)
  const http = is('http') || is('https')
  const grpc = is('grpc') || is('grpcs')
  if (http || grpc) {
    const family = http ? "'http' or 'https'" : "'grpc' or 'grpcs'"
    for (const f of ['sources', 'destinations']) {
      if (present(route[f])) fields[f] = `cannot set '${f}' when 'protocols' is ${family}`
    }
  }
  if (grpc) {
    if (route['strip_path'] === true) {
      fields['strip_path'] = "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"
    }
    if (present(route['methods'])) {
      fields['methods'] = "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'"
    }
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
    needed = ['snis']
    label = 'tls_passthrough'
  } else {
    needed = ['sources', 'destinations', 'snis']
    label = protocols.find((p) => p === 'tls' || p === 'tcp' || p === 'udp') as string
  }
  if (!needed.some(has)) {
    return { entity: [`must set one of ${quoteList(needed)} when 'protocols' is '${label}'`] }
  }
  const headers = route['headers']
  if (headers && typeof headers === 'object' && 'host' in (headers as object)) {
    return {
      fields: {
        headers: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
      },
    }
  }
  return undefined
}

const endpoint = {
  type: 'record',
  fields: {
    ip: { type: 'string' },
    port: { type: 'integer', between: [0, 65535] },
  },
} as const

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
    snis: { type: 'set', elements: { type: 'string', check: checkSni } },
    sources: { type: 'set', elements: endpoint },
    destinations: { type: 'set', elements: endpoint },
    methods: { type: 'set', elements: { type: 'string', check: checkMethod } },
    hosts: { type: 'array', elements: { type: 'string', check: checkRouteHost } },
    paths: { type: 'array', elements: { type: 'string', check: checkRoutePath } },
    headers: {
      type: 'map',
      keys: { type: 'string', check: checkHeaderName },
      values: { type: 'array', elements: { type: 'string' } },
    },
    regex_priority: { type: 'integer', default: 0, between: INT32_RANGE },
    path_handling: { type: 'string', one_of: ['v0', 'v1'], default: 'v0' },
  },
  entity_checks: [{ custom: checkProtocols }],
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
