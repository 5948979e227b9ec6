// Compiles one Kong route into router entries and ranks them, after Kong 3.x
// traditional_compatible: kong/router/transform.lua (get_expression for what each attribute
// means, get_priority for the order) and kong/runloop/handler.lua (which routes are routable).
//
// Like Kong, a route with several paths becomes one entry per path, each ranked by its own path.
// Order, most significant first (the fields of Kong's 64-bit priority word, then the tie-break):
//   1. how many of methods, hosts, headers, paths, snis the route sets (more first)
//   2. hosts set and none of them a wildcard (before wildcard hosts or no hosts)
//   3. number of header names (more first)
//   4. regex path before prefix path
//   5. regex_priority, higher first (regex entries only; prefix entries ignore it)
//   6. prefix length, longer first (prefix entries only)
//   7. created_at, older first, then id, then path position. Kong's ATC breaks exact ties by
//      uuid order and its traditional router by created_at; created_at then id is deterministic
//      on every node.

import type { RouteConfig, ServiceConfig } from './route-types.js'
import { normalizePath, toByteString } from './uri-path.js'

/** Kong's http subsystem; stream routes (tcp, tls, udp, tls_passthrough) never reach us. */
const HTTP_SUBSYSTEM = new Set(['http', 'https', 'grpc', 'grpcs'])
const DIGITS = /^\d+$/
const REGEX_MARK = '~'
const HEADER_REGEX_MARK = '~*'
const REGEX_SYNTAX = new Set('\\^$.|?*+()[]{}')
const OPTIONAL_QUANTIFIERS = new Set('?*{')

export interface HostRule {
  readonly kind: 'exact' | 'suffix' | 'prefix'
  readonly value: string
  readonly port: number | null
}

export interface HeaderRule {
  readonly name: string
  readonly values: ReadonlySet<string>
  readonly patterns: readonly RegExp[]
}

export type PathRule =
  | { readonly regex: false; readonly prefix: string }
  | { readonly regex: true; readonly pattern: RegExp; readonly literal: string }

/** One routable (route, path) pair with its conditions precompiled. */
/**
 * The last upstream path computed for an entry, by request path and stripped prefix: clients
 * send the same paths again and again, so the join and the escaping run once per new path.
 */
export class UpstreamPathMemo {
  path: string | null = null
  prefix: string | null = null
  value = ''
}

export interface Entry {
  readonly route: RouteConfig
  readonly service: ServiceConfig | null
  /** service.path, or `/` (also for a route without service, as Kong). */
  readonly servicePath: string
  readonly methods: ReadonlySet<string> | null
  /** Plain hosts without a port: one set lookup covers the common case. */
  readonly anyPortHosts: ReadonlySet<string>
  /** Wildcard hosts and hosts with a port. */
  readonly hostRules: readonly HostRule[]
  readonly hasHosts: boolean
  readonly headers: readonly HeaderRule[]
  readonly snis: ReadonlySet<string> | null
  /** Null when the route has no paths. */
  readonly path: PathRule | null
  readonly httpsOnly: boolean
  // Sort keys, see the header.
  readonly weight: number
  readonly plainHostsOnly: boolean
  readonly headerCount: number
  readonly regexPriority: number
  readonly prefixLength: number
  readonly createdAt: number
  readonly pathIndex: number
  /** Written by the router as it matches (see UpstreamPathMemo). */
  readonly upstreamPath: UpstreamPathMemo
}

/**
 * The entries for `route`, or why it is not routable: no http-subsystem protocol, its service is
 * missing or disabled (Kong keeps disabled services' routes out of the router), no routing
 * attribute, or a regex JavaScript cannot compile (Kong logs and drops such a route).
 * A route whose service is null is routable; the proxy answers it with 503.
 */
export function compileRoute(
  route: RouteConfig,
  servicesById: ReadonlyMap<string, ServiceConfig>,
): Entry[] | string {
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
  return pathRules.map((path, pathIndex) => ({
    ...shared,
    path,
    regexPriority: path?.regex === true ? route.regex_priority : 0,
    prefixLength: path?.regex === false ? path.prefix.length : 0,
    pathIndex,
    upstreamPath: new UpstreamPathMemo(),
  }))
}

/** Sort comparator: higher priority first, in the order documented in the header. */
export function byPriority(a: Entry, b: Entry): number {
  return (
    b.weight - a.weight ||
    Number(b.plainHostsOnly) - Number(a.plainHostsOnly) ||
    b.headerCount - a.headerCount ||
    Number(b.path?.regex === true) - Number(a.path?.regex === true) ||
    b.regexPriority - a.regexPriority ||
    b.prefixLength - a.prefixLength ||
    a.createdAt - b.createdAt ||
    compareStrings(a.route.id, b.route.id) ||
    a.pathIndex - b.pathIndex
  )
}

/** `host[:port]`, lower-case expected; `[::1]:8000` keeps its brackets in the name. */
export function splitHostPort(host: string): { name: string; port: number | null } {
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 : host.indexOf(':')
  if (colon <= 0) return { name: host, port: null }
  const port = host.slice(colon + 1)
  if (!DIGITS.test(port)) return { name: host, port: null }
  return { name: host.slice(0, colon), port: Number(port) }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
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
  const pattern = compileRegex(`^(?:${source})`, '')
  return { regex: true, pattern, literal: literalPrefix(source) }
}

/**
 * Text every match must start with, so most non-matching paths skip the regex: `/api/v\d+` →
 * `/api/v`. Conservative: stops at the first syntax character, gives up on alternation, and
 * drops a last character that a quantifier may make optional (`/ab?` → `/a`).
 */
function literalPrefix(source: string): string {
  if (source.includes('|')) return ''
  let end = 0
  while (end < source.length && !REGEX_SYNTAX.has(source.charAt(end))) end++
  const optionalLast = end > 0 && OPTIONAL_QUANTIFIERS.has(source.charAt(end))
  return source.slice(0, optionalLast ? end - 1 : end)
}

function compileRegex(source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new Error(`invalid regex: ${detail}`)
  }
}
