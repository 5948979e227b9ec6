// Limits the proxy puts on what clients send, with nginx's defaults as Kong ships them and
// Kong's names for overriding them (`KONG_NGINX_HTTP_<DIRECTIVE>` injects `<directive>` into
// nginx's http block): client_max_body_size (Kong: 0 = unlimited), large_client_header_buffers
// (4 8k), client_header_timeout and client_body_timeout (60s), keepalive_timeout (75s).
// Pure parsing; config.ts reads the environment and hands the strings here.

export interface ProxyLimits {
  /** Largest request body in bytes; 0 means unlimited (Kong's default). */
  maxBodyBytes: number
  /** Longest request line or single header line in bytes (one nginx large buffer). */
  headerLineBytes: number
  /** Request line and headers together, at most (nginx: number of buffers × size). */
  headerTotalBytes: number
  /** Time to receive the request line and headers. */
  headerTimeoutMs: number
  /** Longest pause between two reads of a request body. */
  bodyTimeoutMs: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number
}

const KB = 1024
const SECOND = 1000

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxBodyBytes: 0,
  headerLineBytes: 8 * KB,
  headerTotalBytes: 4 * 8 * KB,
  headerTimeoutMs: 60 * SECOND,
  bodyTimeoutMs: 60 * SECOND,
  keepAliveTimeoutMs: 75 * SECOND,
}

const SIZE = /^(\d+)([kKmMgG]?)$/
const SIZE_UNITS: Record<string, number> = { '': 1, k: KB, m: KB * KB, g: KB * KB * KB }
const TIME_PART = /(\d+)(ms|s|m|h|d|w|M|y)?/y
const TIME_UNITS: Record<string, number> = {
  ms: 1,
  s: SECOND,
  m: 60 * SECOND,
  h: 3600 * SECOND,
  d: 86_400 * SECOND,
  w: 7 * 86_400 * SECOND,
  M: 30 * 86_400 * SECOND,
  y: 365 * 86_400 * SECOND,
}

/**
 * An nginx size (`0`, `512`, `8k`, `10m`, `1g`) in bytes.
 *
 * @example parseNginxSize('10m') // 10485760
 */
export function parseNginxSize(text: string): number {
  const m = SIZE.exec(text.trim())
  if (!m) throw new Error(`invalid size "${text}"`)
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!
}

/**
 * An nginx time (`60`, `60s`, `500ms`, `1m30s`) in ms; a bare number is seconds, as in nginx.
 *
 * @example parseNginxTime('1m30s') // 90000
 */
export function parseNginxTime(text: string): number {
  const s = text.trim()
  if (s === '') throw new Error('invalid time ""')
  let total = 0
  TIME_PART.lastIndex = 0
  while (TIME_PART.lastIndex < s.length) {
    const m = TIME_PART.exec(s)
    if (!m) throw new Error(`invalid time "${text}"`)
    total += Number(m[1]) * TIME_UNITS[m[2] ?? 's']!
  }
  return total
}

/** `large_client_header_buffers`: `<number> <size>`, e.g. `4 8k`. */
export function parseHeaderBuffers(text: string): { lineBytes: number; totalBytes: number } {
  const parts = text.trim().split(/\s+/)
  const count = Number(parts[0])
  if (parts.length !== 2 || !Number.isInteger(count) || count < 1) {
    throw new Error(`invalid large_client_header_buffers "${text}" (expected e.g. "4 8k")`)
  }
  const lineBytes = parseNginxSize(parts[1]!)
  if (lineBytes < 1) throw new Error(`invalid large_client_header_buffers "${text}"`)
  return { lineBytes, totalBytes: count * lineBytes }
}

/** The raw settings, by nginx directive, as strings from the environment (undefined = default). */
export interface ProxyLimitSettings {
  clientMaxBodySize?: string | undefined
  largeClientHeaderBuffers?: string | undefined
  clientHeaderTimeout?: string | undefined
  clientBodyTimeout?: string | undefined
  keepaliveTimeout?: string | undefined
}

/** Limits from nginx-style settings; throws with the offending directive on a bad value. */
export function parseProxyLimits(settings: ProxyLimitSettings): ProxyLimits {
  const limits = { ...DEFAULT_PROXY_LIMITS }
  const read = <T>(name: string, value: string | undefined, parse: (v: string) => T): T | undefined => {
    if (value === undefined || value.trim() === '') return undefined
    try {
      return parse(value)
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`)
    }
  }
  const body = read('KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE', settings.clientMaxBodySize, parseNginxSize)
  if (body !== undefined) limits.maxBodyBytes = body
  const buffers = read('KONG_NGINX_HTTP_LARGE_CLIENT_HEADER_BUFFERS', settings.largeClientHeaderBuffers, parseHeaderBuffers)
  if (buffers) {
    limits.headerLineBytes = buffers.lineBytes
    limits.headerTotalBytes = buffers.totalBytes
  }
  const header = read('KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT', settings.clientHeaderTimeout, parseNginxTime)
  if (header !== undefined) limits.headerTimeoutMs = header
  const bodyTimeout = read('KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT', settings.clientBodyTimeout, parseNginxTime)
  if (bodyTimeout !== undefined) limits.bodyTimeoutMs = bodyTimeout
  const keepAlive = read('KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT', settings.keepaliveTimeout, parseNginxTime)
  if (keepAlive !== undefined) limits.keepAliveTimeoutMs = keepAlive
  return limits
}
