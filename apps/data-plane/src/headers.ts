// Request and response header handling on the proxy path, as Kong does it: hop-by-hop headers
// (RFC 9110 §7.6.1 plus those named in Connection) never cross the proxy; the upstream gets
// X-Forwarded-* and X-Real-IP; the client gets Via and Kong's latency headers.

import type { IncomingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

const NO_TOKENS: ReadonlySet<string> = new Set()

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  // The common values name only hop-by-hop headers that are dropped anyway.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NO_TOKENS
  const text = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== '')
  )
}

export interface ForwardInfo {
  clientIp: string
  /** Scheme the client used. */
  proto: 'http' | 'https'
  /** Host header the client sent (may include a port). */
  host: string | undefined
  /** Port the proxy listens on. */
  port: number
  /** Original request path (without query). */
  path: string
  /** What strip_path removed, or null. */
  prefix: string | null
  /** Host header for the upstream. */
  upstreamHost: string
}

let lastHost = ''
let lastForwardedHost = ''

/** X-Forwarded-Host: the client's Host without its port; clients repeat the same one. */
function forwardedHostOf(host: string): string {
  if (host !== lastHost) {
    const colon = host.lastIndexOf(':')
    // Strip a port, but not the inside of a bracketed IPv6 literal.
    lastForwardedHost = colon > host.lastIndexOf(']') ? host.slice(0, colon) : host
    lastHost = host
  }
  return lastForwardedHost
}

let lastPort = -1
let lastPortText = ''

/** The listening port as text: the same one or two ports every request. */
function portText(port: number): string {
  if (port !== lastPort) {
    lastPort = port
    lastPortText = String(port)
  }
  return lastPortText
}

/** Builds the upstream request headers as a flat [name, value, …] list for the upstream request. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, info: ForwardInfo): string[] {
  const drop = connectionTokens(incoming.connection)
  const out: string[] = []
  // for…in over Node's header object: no [name, value] pair array per header.
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name) || name === 'host') continue
    if (name.startsWith('x-forwarded-') || name === 'x-real-ip') continue
    if (Array.isArray(value)) for (const v of value) out.push(name, v)
    else out.push(name, value)
  }
  const prior = incoming['x-forwarded-for']
  const xff = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${info.clientIp}` : info.clientIp
  const forwardedHost = forwardedHostOf(info.host ?? '')
  out.push(
    'host',
    info.upstreamHost,
    'x-forwarded-for',
    xff,
    'x-forwarded-proto',
    info.proto,
    'x-forwarded-host',
    forwardedHost,
    'x-forwarded-port',
    portText(info.port),
    'x-forwarded-path',
    info.path,
    'x-real-ip',
    info.clientIp
  )
  if (info.prefix) out.push('x-forwarded-prefix', info.prefix)
  return out
}

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name)
}

/** What the proxy itself adds to a proxied response's head (replacing the upstream's own). */
export interface ResponseHeadExtras {
  /** Plugin headers; they replace upstream headers of the same name (any case). */
  plugin: Record<string, string> | undefined
  via: string
  upstreamLatencyMs: number
  proxyLatencyMs: number
  /** The balancer's hash cookie, which replaces the upstream's Set-Cookie. */
  setCookie: string | undefined
}

/**
 * The client response head as a flat [name, value, …] list for `res.writeHead(status, list)`:
 * the upstream's headers without hop-by-hop ones and without those the proxy sets, then the
 * plugin headers, Via and Kong's latency headers. No intermediate header object.
 */
export function clientResponseHead(
  upstream: Record<string, string | string[] | undefined>,
  extras: ResponseHeadExtras
): Array<string | string[]> {
  const drop = connectionTokens(upstream['connection'])
  const plugin = extras.plugin
  let replaced: Set<string> | undefined
  if (plugin !== undefined) {
    replaced = new Set()
    for (const k in plugin) replaced.add(k.toLowerCase())
  }
  const out: Array<string | string[]> = []
  for (const name in upstream) {
    const value = upstream[name]
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name) || PROXY_SET.has(name)) continue
    if (name === 'set-cookie' && extras.setCookie) continue
    if (replaced?.has(name)) continue
    out.push(name, value)
  }
  if (plugin !== undefined) {
    for (const k in plugin) {
      const lower = k.toLowerCase()
      // The proxy's own headers win, as they did when set last by name.
      if (PROXY_SET.has(lower) || (lower === 'set-cookie' && extras.setCookie)) continue
      out.push(k, plugin[k]!)
    }
  }
  out.push(
    'via',
    extras.via,
    'x-kong-upstream-latency',
    String(Math.round(extras.upstreamLatencyMs)),
    'x-kong-proxy-latency',
    String(Math.round(extras.proxyLatencyMs))
  )
  if (extras.setCookie) out.push('set-cookie', extras.setCookie)
  return out
}

/** Response headers the proxy always sets itself. */
const PROXY_SET = new Set(['via', 'x-kong-upstream-latency', 'x-kong-proxy-latency'])
