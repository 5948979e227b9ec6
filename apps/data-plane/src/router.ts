// Route matching for the proxy with Kong 3.x `router_flavor = traditional_compatible` semantics:
// kong/router/transform.lua (get_expression, get_priority), kong/router/atc.lua (select) and
// kong/runloop/handler.lua (which routes enter the router). Routes are compiled once per config
// change into one flat list in priority order; a request is a linear scan doing set lookups and
// string compares first and regexes last, and the first entry whose attributes all match wins.
//
// Priority, most significant first (Kong's 64-bit priority word). Like Kong, a route with several
// paths becomes one entry per path, each ranked by its own path:
//   1. how many of methods, hosts, headers, paths, snis the route sets (more first)
//   2. hosts set and none of them a wildcard (before wildcard or no hosts)
//   3. number of header names (more first)
//   4. regex path before prefix path
//   5. regex_priority, higher first (regex entries only; prefix entries ignore it)
//   6. prefix length, longer first (prefix entries only)
//   7. created_at, older first, then id. Kong's ATC breaks exact ties by uuid order and its
//      traditional router by created_at; we take created_at then id, deterministic on every node.
//
// Not routed: routes without an http-subsystem protocol, routes of a disabled service (Kong leaves
// them out of the router, so the request falls through to the next route or 404), and routes
// whose regex does not compile (Kong logs and drops them); `skipped` lists each with its reason.
// A route with `service: null` *is* routed and matches with service null: Kong then answers
// 503 "no Service found with those values". Protocols are not a match condition either: an
// https-only route matched over http yields `httpsRequired` so the proxy answers 426 or
// redirects with route.https_redirect_status_code, as Kong does after routing.

import type { RouteConfig, ServiceConfig } from './route-types.js'
import { joinUpstreamPath } from './upstream-path.js'
import { escapePath, normalizePath, toByteString } from './uri-path.js'

export type HeaderValue = string | readonly string[] | undefined

/** What the router reads from a request. */
export interface RouteRequest {
  readonly method: string
  /** The Host header as sent, possibly with a port. */
  readonly host: string | undefined
  /** The raw path without the query string, as in `req.url`. */
  readonly path: string
  /** Lower-cased names. Pass repeated headers as arrays (`req.headersDistinct`) to match Kong. */
  readonly headers: Readonly<Record<string, HeaderValue>>
  /** The request's scheme; the forwarded one when the client is a trusted proxy. */
  readonly protocol: 'http' | 'https'
  /** TLS server name, for routes with `snis`. */
  readonly sni?: string | undefined
}

export interface RouteMatch {
  readonly route: RouteConfig
  /** Null for a route without a service: answer 503 "no Service found with those values". */
  readonly service: ServiceConfig | null
  /** Percent-escaped path for the upstream request; append the query string to it. */
  readonly upstreamPath: string
  /** Groups of a regex path: "0" (whole match), "1", … and named groups; null without groups. */
  readonly uriCaptures: Readonly<Record<string, string>> | null
  /** The normalised request path that was matched (nginx's `$uri` for hash_on path). */
  readonly path: string
  /** What strip_path removed, for X-Forwarded-Prefix; null when nothing was stripped. */
  readonly prefix: string | null
  /** The Host header to send when the route has preserve_host, else null. */
  readonly upstreamHost: string | null
  /** Route accepts https but not http and the request came over http: answer 426 or redirect. */
  readonly httpsRequired: boolean
}

export interface SkippedRoute {
  readonly routeId: string
  readonly reason: string
}

export interface Router {
  match(req: RouteRequest): RouteMatch | null
  readonly skipped: readonly SkippedRoute[]
}

const HTTP_SUBSYSTEM = new Set(['http', 'https', 'grpc', 'grpcs'])
const HTTP_PORT = 80
const HTTPS_PORT = 443
const DIGITS = /^\d+$/
const REGEX_MARK = '~'
const HEADER_REGEX_MARK = '~*'

interface HostRule {
  readonly kind: 'exact' | 'suffix' | 'prefix'
  readonly value: string
  readonly port: number | null
}

interface HeaderRule {
  readonly name: string
  readonly values: ReadonlySet<string>
  readonly patterns: readonly RegExp[]
}

type PathRule =
  | { readonly regex: false; readonly prefix: string }
  | { readonly regex: true; readonly pattern: RegExp }

interface Entry {
  readonly route: RouteConfig
  readonly service: ServiceConfig | null
  readonly servicePath: string
  readonly methods: ReadonlySet<string> | null
  /** Plain hosts without a port: one set lookup covers the common case. */
  readonly anyPortHosts: ReadonlySet<string>
  readonly hostRules: readonly HostRule[]
  readonly hasHosts: boolean
  readonly headers: readonly HeaderRule[]
  readonly snis: ReadonlySet<string> | null
  readonly path: PathRule | null
  readonly httpsOnly: boolean
  // Sort keys, see the header.
  readonly weight: number
  readonly plainHostsOnly: boolean
  readonly headerCount: number
  readonly regexPriority: number
  readonly prefixLength: number
  readonly createdAt: number
  readonly order: number
}

/**
 * Compile routes and services into a router. Call again on every config change; the previous
 * router keeps serving until the new one replaces it.
 *
 * @example
 * const router = buildRouter(routes, services)
 * const req = { method: 'GET', host: 'api.test', path: '/v1/chat', headers: {}, protocol: 'http' }
 * const m = router.match(req) // RouteMatch | null
 */
export function buildRouter(
  routes: readonly RouteConfig[],
  services: readonly ServiceConfig[]
): Router {
  const servicesById = new Map(services.map((s) => [s.id, s]))
  const entries: Entry[] = []
  const skipped: SkippedRoute[] = []
  for (const route of routes) {
    const reason = compileRoute(route, servicesById, entries)
    if (reason !== null) skipped.push({ routeId: route.id, reason })
  }
  entries.sort(byPriority)
  return { skipped, match: (req) => matchEntries(entries, req) }
}

function compileRoute(
  route: RouteConfig,
  servicesById: ReadonlyMap<string, ServiceConfig>,
  entries: Entry[]
): string | null {
  if (!route.protocols.some((p) => HTTP_SUBSYSTEM.has(p))) return 'not an http route'
  let service: ServiceConfig | null = null
  if (route.service !== null) {
    service = servicesById.get(route.service.id) ?? null
    if (service === null) return `service ${route.service.id} not found`
    if (!service.enabled) return 'service disabled'
  }

  const methods = nonEmpty(route.methods)
  const hosts = nonEmpty(route.hosts)
  const headerNames = route.headers === null ? [] : Object.keys(route.headers)
  const snis = nonEmpty(route.snis)
  const paths = nonEmpty(route.paths)
  const kinds = [methods, hosts, snis, paths].filter((a) => a !== null).length
  const weight = kinds + (headerNames.length > 0 ? 1 : 0)
  if (weight === 0) return 'no routing attributes'

  let headers: HeaderRule[]
  let pathRules: (PathRule | null)[]
  try {
    headers = headerNames.map((name) => compileHeader(name, route.headers?.[name] ?? []))
    pathRules = paths === null ? [null] : paths.map(compilePath)
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }

  const hostRules = (hosts ?? []).map(compileHost)
  const shared = {
    route,
    service,
    servicePath: service?.path ?? '/',
    methods: methods === null ? null : new Set(methods),
    anyPortHosts: new Set(hostRules.filter(isPlainAnyPort).map((h) => h.value)),
    hostRules: hostRules.filter((h) => !isPlainAnyPort(h)),
    hasHosts: hosts !== null,
    headers,
    snis: snis === null ? null : new Set(snis.map(stripTrailingDot)),
    httpsOnly: route.protocols.includes('https') && !route.protocols.includes('http'),
    weight,
    plainHostsOnly: hosts !== null && hostRules.every((h) => h.kind === 'exact'),
    headerCount: headerNames.length,
    createdAt: route.created_at ?? Number.MAX_SAFE_INTEGER,
  }
  for (const path of pathRules) {
    entries.push({
      ...shared,
      path,
      regexPriority: path?.regex === true ? route.regex_priority : 0,
      prefixLength: path?.regex === false ? path.prefix.length : 0,
      order: entries.length,
    })
  }
  return null
}

function nonEmpty<T>(values: readonly T[] | null): readonly T[] | null {
  return values !== null && values.length > 0 ? values : null
}

function isPlainAnyPort(rule: HostRule): boolean {
  return rule.kind === 'exact' && rule.port === null
}

function stripTrailingDot(name: string): string {
  // Kong: "last dot in FQDNs must not be used for routing".
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name
}

function compileHost(entry: string): HostRule {
  const { name, port } = splitHostPort(entry.toLowerCase())
  if (name.startsWith('*')) return { kind: 'suffix', value: name.slice(1), port }
  if (name.endsWith('*')) return { kind: 'prefix', value: name.slice(0, -1), port }
  return { kind: 'exact', value: name, port }
}

function compileHeader(name: string, values: readonly string[]): HeaderRule {
  const exact = new Set<string>()
  const patterns: RegExp[] = []
  for (const value of values) {
    // `~*` marks a regex; Kong lower-cases request values before comparing, so exact values are
    // lower-cased here and patterns get the `i` flag (lower-casing a pattern would break `\D`).
    if (value.startsWith(HEADER_REGEX_MARK)) patterns.push(compileRegex(value.slice(2), 'i'))
    else exact.add(value.toLowerCase())
  }
  return { name: name.toLowerCase(), values: exact, patterns }
}

function compilePath(path: string): PathRule {
  if (!path.startsWith(REGEX_MARK)) {
    return { regex: false, prefix: toByteString(normalizePath(path)) }
  }
  // Anchored at the start only, like Kong's `^` prefix; `(?P<n>` is the Rust/PCRE spelling of a
  // named group, which Kong accepts and JavaScript does not.
  const source = toByteString(path.slice(1)).replaceAll('(?P<', '(?<')
  return { regex: true, pattern: compileRegex(`^(?:${source})`, '') }
}

function compileRegex(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new Error(`invalid regex: ${detail}`)
  }
}

function byPriority(a: Entry, b: Entry): number {
  return (
    b.weight - a.weight ||
    Number(b.plainHostsOnly) - Number(a.plainHostsOnly) ||
    b.headerCount - a.headerCount ||
    Number(b.path?.regex === true) - Number(a.path?.regex === true) ||
    b.regexPriority - a.regexPriority ||
    b.prefixLength - a.prefixLength ||
    a.createdAt - b.createdAt ||
    compareStrings(a.route.id, b.route.id) ||
    a.order - b.order
  )
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function splitHostPort(host: string): { name: string; port: number | null } {
  // `[::1]:8000` keeps its brackets in the name; otherwise the first colon starts the port.
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.indexOf(':')
  if (colon <= 0) return { name: host, port: null }
  const port = host.slice(colon + 1)
  if (!DIGITS.test(port)) return { name: host, port: null }
  return { name: host.slice(0, colon), port: Number(port) }
}

function matchEntries(entries: readonly Entry[], req: RouteRequest): RouteMatch | null {
  const path = normalizePath(req.path)
  let hostName: string | null = null
  let hostPort = 0
  if (req.host !== undefined) {
    const split = splitHostPort(req.host.toLowerCase())
    hostName = split.name
    // No port in Host: the scheme's default, so `example.com:80` entries match plain Host headers.
    hostPort = split.port ?? (req.protocol === 'https' ? HTTPS_PORT : HTTP_PORT)
  }

  for (const entry of entries) {
    if (entry.methods !== null && !entry.methods.has(req.method)) continue
    if (entry.hasHosts && (hostName === null || !hostMatches(entry, hostName, hostPort))) continue
    // Kong only checks snis on https; a plain http request ignores them.
    if (entry.snis !== null && req.protocol === 'https') {
      if (req.sni === undefined || !entry.snis.has(req.sni)) continue
    }
    if (entry.headers.length > 0 && !headersMatch(entry.headers, req.headers)) continue

    const rule = entry.path
    if (rule === null) return toMatch(entry, req, path, null, null)
    if (!rule.regex) {
      if (path.startsWith(rule.prefix)) return toMatch(entry, req, path, rule.prefix, null)
      continue
    }
    const found = rule.pattern.exec(path)
    if (found !== null) return toMatch(entry, req, path, found[0], found)
  }
  return null
}

function hostMatches(entry: Entry, name: string, port: number): boolean {
  if (entry.anyPortHosts.has(name)) return true
  for (const rule of entry.hostRules) {
    if (rule.port !== null && rule.port !== port) continue
    if (rule.kind === 'exact' && name === rule.value) return true
    // A wildcard stands for at least one character, possibly several labels.
    if (name.length <= rule.value.length) continue
    if (rule.kind === 'suffix' && name.endsWith(rule.value)) return true
    if (rule.kind === 'prefix' && name.startsWith(rule.value)) return true
  }
  return false
}

function headersMatch(rules: readonly HeaderRule[], headers: RouteRequest['headers']): boolean {
  for (const rule of rules) {
    const value = headers[rule.name]
    if (value === undefined) return false
    if (typeof value === 'string') {
      if (!headerValueMatches(rule, value)) return false
    } else if (!value.some((v) => headerValueMatches(rule, v))) {
      return false
    }
  }
  return true
}

function headerValueMatches(rule: HeaderRule, value: string): boolean {
  const lower = value.toLowerCase()
  if (rule.values.has(lower)) return true
  return rule.patterns.some((pattern) => pattern.test(lower))
}

function toMatch(
  entry: Entry,
  req: RouteRequest,
  path: string,
  matched: string | null,
  found: RegExpExecArray | null
): RouteMatch {
  const { route } = entry
  const prefix = route.strip_path && matched !== null ? matched : null
  return {
    route,
    service: entry.service,
    upstreamPath: escapePath(joinUpstreamPath(entry.servicePath, path, prefix, route)),
    uriCaptures: found === null ? null : captures(found),
    path,
    prefix,
    upstreamHost: route.preserve_host ? (req.host ?? null) : null,
    httpsRequired: entry.httpsOnly && req.protocol !== 'https',
  }
}

function captures(found: RegExpExecArray): Record<string, string> | null {
  // Kong exposes captures only when the regex has at least one group.
  if (found.length < 2) return null
  const out: Record<string, string> = {}
  found.forEach((value, index) => {
    if (value !== undefined) out[String(index)] = value
  })
  for (const [name, value] of Object.entries(found.groups ?? {})) {
    if (value !== undefined) out[name] = value
  }
  return out
}
