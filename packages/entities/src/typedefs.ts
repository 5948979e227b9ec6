// Reusable field definitions and their checks, after kong/db/schema/typedefs.lua. Each check
// returns Kong's exact message so the Admin API's error bodies match Kong's.

import { parseHost } from './host.js'
import { MSG } from './messages.js'
import type { ArrayField, Check, Field, NumberField, StringField } from './schema.js'

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value)
}

const RFC3986_PATH = /^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/

export const checkPath: Check<string> = (path) => {
  if (!path.startsWith('/')) return MSG.SHOULD_START_WITH_SLASH
  if (path.includes('//')) return 'must not have empty segments'
  if (!RFC3986_PATH.test(path)) {
    return `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`
  }
  const bad = /%(?![0-9A-Fa-f]{2})../.exec(path) ?? /%.?$/.exec(path)
  if (bad) return `invalid url-encoded value: '${bad[0]}'`
  return undefined
}

export const checkHeaderName: Check<string> = (name) =>
  /^[A-Za-z0-9_-]+$/.test(name)
    ? undefined
    : `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`

export const checkCookieName: Check<string> = (name) =>
  // RFC 6265 token: no CTLs, separators or whitespace.
  /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)
    ? undefined
    : 'contains one or more invalid characters. ASCII control characters (0-31;127), space, tab and the characters ()<>@,;:\\"/?={}[] are not allowed.'

export const checkUtf8Name: Check<string> = (name) => {
  // Any non-ASCII (valid UTF-8) character is accepted; ASCII is restricted.
  for (const ch of name) {
    if (ch.charCodeAt(0) < 128 && !/[A-Za-z0-9.\-_~]/.test(ch)) {
      return `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`
    }
  }
  return undefined
}

/** typedefs.host: hostname or IP, no port. */
export const checkHost: Check<string> = (host) => {
  const parsed = parseHost(host)
  if (!parsed) {
    if (/:\d+$/.test(host) && parseHost(host.replace(/:\d+$/, ''))) return 'must not have a port'
    return MSG.invalidValue(host)
  }
  if (parsed.port !== undefined) return 'must not have a port'
  return undefined
}

/** typedefs.host_with_optional_port. */
export const checkHostWithOptionalPort: Check<string> = (host) =>
  parseHost(host) ? undefined : `invalid hostname: ${host}`

/** typedefs.sni: a hostname, not an IP, no port. */
export const checkSni: Check<string> = (sni) => {
  const parsed = parseHost(sni)
  if (!parsed) return MSG.invalidValue(sni)
  if (parsed.type !== 'name') return 'must not be an IP'
  if (parsed.port !== undefined) return 'must not have a port'
  return undefined
}

/**
 * typedefs.wildcard_host: a hostname with at most one `*`, as its leftmost or rightmost
 * character; Kong validates the rest with the `*` read as the label "wildcard".
 */
export const checkWildcardHost: Check<string> = (host) => {
  const idx = host.indexOf('*')
  let mock = host
  if (idx !== -1) {
    if (idx !== 0 && idx !== host.length - 1) return 'wildcard must be leftmost or rightmost character'
    if (host.indexOf('*', idx + 1) !== -1) return 'only one wildcard must be specified'
    mock = host.replace('*', 'wildcard')
  }
  const parsed = parseHost(mock)
  if (!parsed) {
    if (/:\d+$/.test(mock) && parseHost(mock.replace(/:\d+$/, ''))?.type === 'name') return 'must not have a port'
    return MSG.invalidValue(mock)
  }
  if (parsed.type !== 'name') return 'must not be an IP'
  if (parsed.port !== undefined) return 'must not have a port'
  return undefined
}

export const checkTag: Check<string> = (tag) => {
  // Printable ASCII except `,` and `/`, or any non-ASCII (valid UTF-8) character.
  if (tag.length === 0) return MSG.invalidTag(tag)
  for (const ch of tag) {
    const c = ch.charCodeAt(0)
    if (c < 128 && (c < 0x20 || c === 0x7f || ch === ',' || ch === '/')) return MSG.invalidTag(tag)
  }
  return undefined
}

/**
 * Bounds of a Postgres `integer` column. Kong leaves some integer fields unbounded; where ours
 * is int4 (regex_priority) a larger value must be a schema violation, not a database error.
 */
export const INT32_RANGE = [-2147483648, 2147483647] as const
/** Timestamps are bigint columns read as JS numbers: bounded to the exactly representable range. */
export const SAFE_INTEGER_RANGE = [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const

export const id = (): StringField => ({ type: 'string', uuid: true, auto: 'uuid' })
export const createdAt = (): NumberField => ({ type: 'integer', auto: 'timestamp', between: SAFE_INTEGER_RANGE })
export const updatedAt = (): NumberField => ({ type: 'integer', auto: 'timestamp', between: SAFE_INTEGER_RANGE })
export const tags = (): ArrayField => ({
  type: 'set',
  elements: { type: 'string', check: checkTag },
})
export const path = (extra: Partial<StringField> = {}): StringField => ({
  type: 'string',
  check: checkPath,
  ...extra,
})
export const port = (extra: Partial<NumberField> = {}): NumberField => ({
  type: 'integer',
  between: [0, 65535],
  ...extra,
})
export const timeoutMs = (): NumberField => ({
  type: 'integer',
  between: [1, 2147483646],
  default: 60000,
})
export const headerName = (extra: Partial<StringField> = {}): StringField => ({
  type: 'string',
  check: checkHeaderName,
  ...extra,
})
export const utf8Name = (extra: Partial<StringField> = {}): StringField => ({
  type: 'string',
  check: checkUtf8Name,
  ...extra,
})
export const seconds = (dflt: number): NumberField => ({
  type: 'number',
  between: [0, 65535],
  default: dflt,
})
export const counter = (dflt = 0): NumberField => ({
  type: 'integer',
  between: [0, 255],
  default: dflt,
})
export const httpStatuses = (dflt: number[]): ArrayField => ({
  type: 'array',
  elements: { type: 'integer', between: [100, 999] },
  default: dflt,
})

/** Header map: name → list of values, as Kong's typedefs.headers. */
export const headers = (): Field => ({
  type: 'map',
  keys: headerName(),
  values: { type: 'array', elements: { type: 'string' } },
})
