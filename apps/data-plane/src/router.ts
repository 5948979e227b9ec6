// Route matching for the proxy with Kong 3.x `router_flavor = traditional_compatible` semantics:
// kong/router/atc.lua (select) over routes compiled and ranked by route-entry.ts (which documents
// the priority order). Routes are compiled once per config change; a request then scans the
// entries in priority order and the first one whose attributes all match wins. Entries whose
// hosts are all plain are indexed by host, so a request only visits the entries of its own host
// plus those that do not pin one, merged back into priority order without allocating.
//
// Matching, per attribute the route sets: method in methods (exact); Host (lower-cased, port
// split off) equal to a plain host, ending with `*.x`'s suffix or starting with `x.*`'s prefix,
// and equal ports when the entry has one (a Host without port has the port the request arrived on, or the scheme's default);
// every header name present with one of its values (case-insensitive, `~*` = regex); snis
// contain the TLS server name (https only); the normalised path starts with a prefix path or
// a regex path matches at its start. Protocols are not a match condition, as in Kong: an
// https-only route reached over http yields `httpsRequired`, and the proxy answers 426 or
// redirects with route.https_redirect_status_code. A route with `service: null` matches with
// service null, for which Kong answers 503 "no Service found with those values"; routes of
// disabled services are not routable, and `skipped` lists those and any other route left out.

import {
  byPriority,
  compileRoute,
  splitHostPort,
  type Entry,
  type HeaderRule,
} from './route-entry.js'
import { RouterIndex, type RankedEntry } from './router-index.js'
import type { RouteConfig, ServiceConfig } from './route-types.js'
import { joinUpstreamPath } from './upstream-path.js'
import { escapePath, normalizePath } from './uri-path.js'

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
  /**
   * Port the request arrived on. Kong matches a route host's port against the Host header's
   * port, or this one when the Host has none (its `net.dst.port`); without it, the scheme's
   * default port stands in.
   */
  readonly localPort?: number | undefined
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

const HTTP_PORT = 80
const HTTPS_PORT = 443

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
  services: readonly ServiceConfig[],
): Router {
  const servicesById = new Map(services.map((s) => [s.id, s]))
  const entries: Entry[] = []
  const skipped: SkippedRoute[] = []
  for (const route of routes) {
    const compiled = compileRoute(route, servicesById)
    if (typeof compiled === 'string') skipped.push({ routeId: route.id, reason: compiled })
    else entries.push(...compiled)
  }
  entries.sort(byPriority)
  return routerOf(entries, skipped)
}

/** The router over compiled entries already in priority order (`byPriority`). */
export function routerOf(entries: readonly Entry[], skipped: readonly SkippedRoute[]): Router {
  return routerOver(RouterIndex.of(entries), () => skipped)
}

/**
 * The router over an index that may change later (RouterBuilder changes it in place, one route
 * at a time): each match reads the index as it is then. `skipped` is read when asked.
 */
export function routerOver(index: RouterIndex, skipped: () => readonly SkippedRoute[]): Router {
  // Host headers as sent, split and lower-cased: clients send the same few again and again.
  const hosts = new Map<string, { name: string; port: number | null }>()
  return {
    get skipped() {
      return skipped()
    },
    match(req) {
      const path = normalizePath(req.path)
      let hostName: string | null = null
      let hostPort = 0
      if (req.host !== undefined) {
        let split = hosts.get(req.host)
        if (split === undefined) {
          // Bounded: a client sending ever new Host values only refills it.
          if (hosts.size >= HOST_CACHE_SIZE) hosts.clear()
          split = splitHostPort(req.host.toLowerCase())
          hosts.set(req.host, split)
        }
        hostName = split.name
        // No port in Host: the port the request came in on, as Kong's router does.
        hostPort = split.port ?? req.localPort ?? (req.protocol === 'https' ? HTTPS_PORT : HTTP_PORT)
      }
      // The entries of the request's host and those that pin none, merged back into priority order.
      const pinned = hostName === null ? NO_ENTRIES : index.pinnedTo(hostName)
      const unpinned = index.unpinned
      let p = 0
      let u = 0
      for (;;) {
        const a = pinned[p]
        const b = unpinned[u]
        const next = a !== undefined && (b === undefined || a.rank < b.rank) ? a : b
        if (next === undefined) return null
        if (next === a) p++
        else u++
        const found = tryEntry(next.entry, req, path, hostName, hostPort)
        if (found !== null) return found
      }
    },
  }
}

const NO_ENTRIES: readonly RankedEntry[] = []
/** Distinct Host headers remembered split (see routerOver). */
const HOST_CACHE_SIZE = 256

function tryEntry(
  entry: Entry,
  req: RouteRequest,
  path: string,
  hostName: string | null,
  hostPort: number,
): RouteMatch | null {
  if (entry.methods !== null && !entry.methods.has(req.method)) return null
  if (entry.hasHosts && (hostName === null || !hostMatches(entry, hostName, hostPort))) return null
  // Kong only checks snis on https; a plain http request ignores them.
  if (entry.snis !== null && req.protocol === 'https') {
    if (req.sni === undefined || !entry.snis.has(req.sni)) return null
  }
  if (entry.headers.length > 0 && !headersMatch(entry.headers, req.headers)) return null

  const rule = entry.path
  if (rule === null) return toMatch(entry, req, path, null, null)
  if (!rule.regex) {
    return path.startsWith(rule.prefix) ? toMatch(entry, req, path, rule.prefix, null) : null
  }
  if (!path.startsWith(rule.literal)) return null
  const found = rule.pattern.exec(path)
  return found === null ? null : toMatch(entry, req, path, found[0], found)
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
  found: RegExpExecArray | null,
): RouteMatch {
  const { route } = entry
  const prefix = route.strip_path && matched !== null ? matched : null
  return {
    route,
    service: entry.service,
    upstreamPath: upstreamPathOf(entry, path, prefix),
    uriCaptures: found === null ? null : captures(found),
    path,
    prefix,
    upstreamHost: route.preserve_host ? (req.host ?? null) : null,
    httpsRequired: entry.httpsOnly && req.protocol !== 'https',
  }
}

/** The escaped upstream path, remembered for the entry's last request path and prefix. */
function upstreamPathOf(entry: Entry, path: string, prefix: string | null): string {
  const memo = entry.upstreamPath
  if (memo.path === path && memo.prefix === prefix) return memo.value
  const value = escapePath(joinUpstreamPath(entry.servicePath, path, prefix, entry.route))
  memo.path = path
  memo.prefix = prefix
  memo.value = value
  return value
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
