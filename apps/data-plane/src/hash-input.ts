// The value consistent hashing hashes for one request, chosen by the upstream's hash_on and, when
// that yields nothing, hash_fallback. Follows Kong 3.x get_value_to_hash and set_cookie in
// kong/runloop/balancer/init.lua. Pure: the request, the auth/route context and the id generator
// come in; nothing is read from the environment. Compute it once per request and reuse it on
// retries, as Kong does.

import type { HashOn, UpstreamHashConfig } from './route-types.js'
import type { HeaderValue } from './router.js'

/** The parts of a request hash inputs read. */
export interface HashRequest {
  /** The normalised request path (RouteMatch.path), Kong's nginx `$uri`. */
  readonly path: string
  /** Raw query string without `?`; absent or '' when there is none. */
  readonly query?: string | undefined
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, HeaderValue>>
}

export interface HashContext {
  /** Authenticated consumer, if an auth plugin identified one. */
  readonly consumerId?: string | undefined
  /** Authenticated credential; Kong hashes on it when there is a credential but no consumer. */
  readonly credentialId?: string | undefined
  /** Client address after real-IP processing (nginx `$remote_addr`). */
  readonly clientIp?: string | undefined
  /** RouteMatch.uriCaptures. */
  readonly uriCaptures?: Readonly<Record<string, string>> | null | undefined
  /** Makes the id for a new hash cookie; the proxy passes crypto.randomUUID. */
  readonly randomId: () => string
}

/** A hash cookie the request lacked: hash on `value` and add `setCookie` to the response. */
export interface NewHashCookie {
  readonly value: string
  /** The Set-Cookie header value; replace any Set-Cookie for the same name, as Kong does. */
  readonly setCookie: string
}

/** undefined: no hash input (the balancer then hashes '', sending every request to one target). */
export type HashValue = string | NewHashCookie | undefined

interface FieldNames {
  readonly header: 'hash_on_header' | 'hash_fallback_header'
  readonly queryArg: 'hash_on_query_arg' | 'hash_fallback_query_arg'
  readonly uriCapture: 'hash_on_uri_capture' | 'hash_fallback_uri_capture'
}

const PRIMARY: FieldNames = {
  header: 'hash_on_header',
  queryArg: 'hash_on_query_arg',
  uriCapture: 'hash_on_uri_capture',
}
const FALLBACK: FieldNames = {
  header: 'hash_fallback_header',
  queryArg: 'hash_fallback_query_arg',
  uriCapture: 'hash_fallback_uri_capture',
}

const DEFAULT_COOKIE_PATH = '/'
// Kong's exact attributes, including the non-standard `Same-Site` spelling (browsers ignore it,
// so the cookie behaves as Kong's does); no Max-Age, so it lasts for the browser session.
const COOKIE_ATTRIBUTES = '; Same-Site=Lax; HttpOnly'
// nginx joins repeated request headers with ", " before Kong reads them.
const HEADER_JOINER = ', '
// Kong turns a multi-valued query arg into its values sorted and joined with ",".
const QUERY_VALUE_JOINER = ','
// A bare `?flag` is Lua `true` in ngx.req.get_uri_args, which Kong stringifies.
const BARE_QUERY_FLAG = 'true'

/**
 * The hash input for `req` under `upstream`'s hash settings.
 *
 * An empty string counts as a value (Lua treats '' as true), so only a missing input falls back.
 *
 * @example
 * hashValue({ ...upstream, hash_on: 'header', hash_on_header: 'x-user' }, req, ctx) // 'alice'
 */
export function hashValue(
  upstream: UpstreamHashConfig,
  req: HashRequest,
  ctx: HashContext,
): HashValue {
  if (upstream.hash_on === 'none') return undefined
  const primary = readInput(upstream.hash_on, PRIMARY, upstream, req, ctx)
  if (primary !== undefined) return primary
  if (upstream.hash_fallback === 'none') return undefined
  return readInput(upstream.hash_fallback, FALLBACK, upstream, req, ctx)
}

function readInput(
  kind: HashOn,
  fields: FieldNames,
  upstream: UpstreamHashConfig,
  req: HashRequest,
  ctx: HashContext,
): HashValue {
  switch (kind) {
    case 'none':
      return undefined
    case 'consumer':
      return ctx.consumerId ?? ctx.credentialId
    case 'ip':
      return ctx.clientIp
    case 'header':
      return readHeader(req.headers, upstream[fields.header])
    case 'cookie':
      // Both hash_on and hash_fallback use hash_on_cookie; Kong has no fallback cookie field.
      return readOrCreateCookie(upstream, req, ctx)
    case 'path':
      return req.path
    case 'query_arg':
      return readQueryArg(req.query ?? '', upstream[fields.queryArg])
    case 'uri_capture': {
      const group = upstream[fields.uriCapture]
      return group === null ? undefined : ctx.uriCaptures?.[group]
    }
  }
}

function readHeader(headers: HashRequest['headers'], name: string | null): string | undefined {
  if (name === null) return undefined
  const value = headers[name.toLowerCase()]
  if (value === undefined || typeof value === 'string') return value
  return value.length === 0 ? undefined : value.join(HEADER_JOINER)
}

function readOrCreateCookie(
  upstream: UpstreamHashConfig,
  req: HashRequest,
  ctx: HashContext,
): HashValue {
  const name = upstream.hash_on_cookie
  if (name === null) return undefined
  const existing = readCookie(req.headers['cookie'], name)
  if (existing !== undefined) return existing
  const value = ctx.randomId()
  const path = upstream.hash_on_cookie_path ?? DEFAULT_COOKIE_PATH
  return { value, setCookie: `${name}=${value}; Path=${path}${COOKIE_ATTRIBUTES}` }
}

// nginx `$cookie_<name>`: the first cookie of that name, name compared case-insensitively,
// value taken as sent (no decoding).
function readCookie(header: HeaderValue, name: string): string | undefined {
  if (header === undefined) return undefined
  const lines = typeof header === 'string' ? [header] : header
  const wanted = name.toLowerCase()
  for (const line of lines) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=')
      if (eq < 0) continue
      if (pair.slice(0, eq).trim().toLowerCase() === wanted) return pair.slice(eq + 1).trim()
    }
  }
  return undefined
}

// ngx.req.get_uri_args semantics for one name: `+` and %-escapes decoded, `?a` is "true",
// repeated names give all values, which Kong sorts and joins with ",".
function readQueryArg(query: string, name: string | null): string | undefined {
  if (name === null || query === '') return undefined
  const values: string[] = []
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq))
    if (key !== name) continue
    values.push(eq < 0 ? BARE_QUERY_FLAG : decodeComponent(part.slice(eq + 1)))
  }
  if (values.length <= 1) return values[0]
  return values.sort().join(QUERY_VALUE_JOINER)
}

function decodeComponent(text: string): string {
  const spaced = text.replaceAll('+', ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    // A malformed escape stays as sent rather than failing the request.
    return spaced
  }
}
