// createProxyServer(deps): the data plane's HTTP server. A request does one route lookup and
// one balancer pick per attempt; bodies stream both ways through undici (responses are never
// buffered, so SSE chunks reach the client as they arrive). Retries go to targets not yet
// tried, on connect errors and timeouts, and on 502/503/504 while nothing has reached the
// client and the request body can be replayed. WebSocket upgrades go through http-proxy.

import type { Handle, Peer } from '@switchyard/balancer'
import type { Logger } from '@switchyard/log'
import httpProxy from 'http-proxy'
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { Duplex } from 'node:stream'
import type { BalancedUpstream, ConfigState } from './config-state.js'
import { hashValue } from './hash-input.js'
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js'
import { PROXY_ERRORS, type ProxyError } from './proxy-errors.js'
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './proxy-limits.js'
import { ABORTED, declaredBodyTooLarge, readRequestBody } from './request-body.js'
import { checkRequestHead, clientErrorReply, rawErrorResponse } from './request-guard.js'
import type { RouteMatch } from './router.js'
import { classifyError, UpstreamPools, type FailureKind } from './upstream-pools.js'

export const VIA = '1.1 kong/3.9.3'
export const SERVER = 'kong/3.9.3'
const RETRY_STATUSES = new Set([502, 503, 504])
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'])

/** What happened on one attempt, for passive health checks and metrics. */
export interface AttemptOutcome {
  upstream: BalancedUpstream | undefined
  peer: { host: string; port: number; id?: string; target?: string }
  status?: number
  failure?: FailureKind
}

/** What plugins see in their access phase. */
export interface AccessContext {
  req: http.IncomingMessage
  match: RouteMatch
  /** Client address as the proxy saw it. */
  clientIp: string
  upstream: BalancedUpstream | undefined
}

/** A plugin's verdict: answer the request itself, and/or add headers to the response. */
export interface AccessResult {
  response?: { status: number; body?: unknown; headers?: Record<string, string> }
  headers?: Record<string, string>
}

/** Sees the body of a proxied response as it streams by (AI token usage, …). */
export interface ResponseTap {
  write(chunk: Buffer): void
  /** Called once when the response ends; the value lands in RequestEnd.tap. */
  end(): unknown
}

export interface ProxyDeps {
  state: ConfigState
  log: Logger
  /** Port the server listens on, for X-Forwarded-Port. */
  port: () => number
  onAttempt?: (outcome: AttemptOutcome) => void
  /** Called once per client request when its response is finished. */
  onRequestEnd?: (info: RequestEnd) => void
  /** Plugins' access phase (rate limiting), run after routing and before proxying. */
  access?: (ctx: AccessContext) => Promise<AccessResult | undefined> | AccessResult | undefined
  /** Optional observer of a proxied response's body; never delays or changes the bytes. */
  responseTap?: (ctx: {
    match: RouteMatch
    status: number
    headers: Record<string, string | string[] | undefined>
    /** The buffered request body, when the route buffers requests (Kong's default). */
    requestBody: Buffer | null | undefined
  }) => ResponseTap | undefined
  /** Client limits (body size, header size, timeouts); nginx's defaults as Kong ships them. */
  limits?: ProxyLimits
}

export interface RequestEnd {
  route: RouteMatch | null
  upstream: BalancedUpstream | undefined
  status: number
  /** ms from request start to the upstream's response headers (last attempt). */
  upstreamLatencyMs: number | undefined
  proxyLatencyMs: number
  totalMs: number
  /** Bytes received: request line, headers and body (nginx's request_length). */
  requestBytes: number
  /** Bytes sent to the client: status line, headers and body (nginx's bytes_sent). */
  responseBytes: number
  consumer?: string
  /** `service` when the response came from the upstream, `kong` when the proxy produced it. */
  source: 'service' | 'kong'
  /** What the response tap returned, if one ran. */
  tap?: unknown
}

export interface ProxyServer {
  server: http.Server
  close(): Promise<void>
}

function sendError(res: http.ServerResponse, err: ProxyError, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = JSON.stringify({ message: err.message })
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    server: SERVER,
    ...extra,
  })
  res.end(body)
}

/** The smallest abort signal undici takes: an emitter with `aborted` and one 'abort' event. */
class AbortSignalLite extends EventEmitter {
  aborted = false

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit('abort')
  }
}

/** Size of the request line and headers as they arrived (HTTP/1.1 framing). */
function requestHeadBytes(req: http.IncomingMessage): number {
  // "METHOD SP url SP HTTP/x.y CRLF", then "name: value CRLF" per header, then CRLF.
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) n += raw[i]!.length + raw[i + 1]!.length + 4
  return n + 2
}

function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?')
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) }
}

function hostHeaderFor(peer: { host: string; port: number }, upstream: BalancedUpstream | undefined): string {
  const configured = upstream?.entity['host_header']
  if (typeof configured === 'string' && configured !== '') return configured
  const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host
  return peer.port === 80 || peer.port === 443 ? host : `${host}:${peer.port}`
}

export function createProxyServer(deps: ProxyDeps): ProxyServer {
  const limits = deps.limits ?? DEFAULT_PROXY_LIMITS
  const bodyLimits = { maxBytes: limits.maxBodyBytes, idleMs: limits.bodyTimeoutMs }
  const pools = new UpstreamPools()
  const wsProxy = httpProxy.createProxyServer({ ws: true, xfwd: true })
  wsProxy.on('error', (_err, _req, target) => {
    if (target && 'destroy' in target) (target as Duplex).destroy()
  })

  function route(req: http.IncomingMessage): {
    match: RouteMatch | null
    path: string
    query: string
    headers: Record<string, string[]>
  } {
    const { path, query } = splitUrl(req.url ?? '/')
    // headersDistinct builds a new object on every access: read it once per request.
    const headers = req.headersDistinct as Record<string, string[]>
    const match = deps.state.router.match({
      method: req.method ?? 'GET',
      host: req.headers.host,
      path,
      headers,
      protocol: 'http',
      localPort: req.socket.localPort,
    })
    return { match, path, query, headers }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now()
    const { match, path, query, headers: distinctHeaders } = route(req)
    let status = 0
    let upstreamLatencyMs: number | undefined
    let upstream: BalancedUpstream | undefined
    let requestBytes = 0
    // Counted from the socket, so headers and chunk framing are included as in nginx.
    const socket = req.socket
    const writtenBefore = socket.bytesWritten
    let source: 'service' | 'kong' = 'kong'
    let tapResult: unknown
    let extraHeaders: Record<string, string> = {}
    res.once('close', () => {
      deps.onRequestEnd?.({
        source,
        ...(tapResult !== undefined ? { tap: tapResult } : {}),
        route: match,
        upstream,
        status: status || res.statusCode,
        upstreamLatencyMs,
        proxyLatencyMs: Math.max(0, performance.now() - started - (upstreamLatencyMs ?? 0)),
        totalMs: performance.now() - started,
        requestBytes: requestHeadBytes(req) + requestBytes,
        responseBytes: Math.max(0, socket.bytesWritten - writtenBefore),
      })
    })
    if (!match) return sendError(res, PROXY_ERRORS.NO_ROUTE)
    if (match.httpsRequired) {
      // Kong answers 426 by default, or redirects with the route's chosen status.
      const code = match.route.https_redirect_status_code ?? 426
      if (code === 426) return sendError(res, PROXY_ERRORS.HTTPS_REQUIRED)
      res.writeHead(code, { location: `https://${req.headers.host ?? ''}${req.url ?? '/'}`, server: SERVER })
      res.end()
      return
    }
    const service = match.service
    if (!service) return sendError(res, PROXY_ERRORS.NO_SERVICE)
    upstream = deps.state.upstreamByName(service.host)
    if (deps.access) {
      const verdict = await deps.access({ req, match, clientIp: req.socket.remoteAddress ?? '', upstream })
      if (verdict?.headers) extraHeaders = verdict.headers
      if (verdict?.response) {
        const r = verdict.response
        const text = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
        res.writeHead(r.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          server: SERVER,
          ...extraHeaders,
          ...r.headers,
        })
        res.end(text)
        return
      }
    }

    // Kong buffers request bodies by default (request_buffering), which also makes retries safe.
    const buffered = match.route.request_buffering !== false
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
    if (hasBody && declaredBodyTooLarge(req, limits.maxBodyBytes)) {
      return sendError(res, PROXY_ERRORS.PAYLOAD_TOO_LARGE, { connection: 'close' })
    }
    // No body at all: nothing to read or stream, and any attempt can be repeated.
    const read = !hasBody ? null : buffered ? await readRequestBody(req, bodyLimits) : undefined
    if (read === ABORTED) return
    if (read !== null && read !== undefined && !Buffer.isBuffer(read)) {
      return sendError(res, read, { connection: 'close' })
    }
    const body = read
    requestBytes = body?.length ?? Number(req.headers['content-length'] ?? 0)
    const replayable = body !== undefined || req.headers['content-length'] === '0'
    const method = req.method ?? 'GET'

    let setCookie: string | undefined
    let hash: string | undefined
    if (upstream) {
      const hv = hashValue(upstream.entity, { path: match.path, query, headers: distinctHeaders }, {
        clientIp: req.socket.remoteAddress,
        uriCaptures: match.uriCaptures,
        randomId: randomUUID,
      })
      if (typeof hv === 'string') hash = hv
      else if (hv) {
        hash = hv.value
        setCookie = hv.setCookie
      }
    }

    const retries = Number(service.retries ?? 5)
    const timeouts = { connectMs: Number(service.connect_timeout), readMs: Number(service.read_timeout) }
    // Overall deadline for all attempts: one connect plus one read window.
    const deadline = started + timeouts.connectMs + timeouts.readMs
    // undici accepts an EventEmitter as the signal; AbortController costs far more per request.
    const abort = new AbortSignalLite()
    res.once('close', () => {
      if (!res.writableFinished) abort.abort()
    })

    let handle: Handle | undefined
    let lastFailure: ProxyError = PROXY_ERRORS.BAD_GATEWAY
    for (let attempt = 0; attempt <= retries; attempt++) {
      let peer: Peer | { host: string; port: number }
      if (upstream) {
        const picked = upstream.balancer.pick({ hashValue: hash }, handle)
        if (!picked.ok) {
          handle?.release()
          return sendError(res, attempt === 0 ? PROXY_ERRORS.NO_PEER : lastFailure, extraHeaders)
        }
        handle = picked.handle
        peer = picked.peer
      } else {
        peer = { host: service.host, port: Number(service.port) }
      }
      const attemptStart = performance.now()
      const pool = pools.get(peer.host, peer.port, timeouts)
      const headers = upstreamRequestHeaders(req.headers, {
        clientIp: req.socket.remoteAddress ?? '',
        proto: 'http',
        host: req.headers.host,
        port: deps.port(),
        path,
        prefix: match.prefix,
        upstreamHost: match.upstreamHost ?? hostHeaderFor(peer, upstream),
      })
      const upstreamPath = query ? `${match.upstreamPath}?${query}` : match.upstreamPath
      try {
        const response = await pool.request({
          method: method as 'GET',
          path: upstreamPath,
          headers,
          body: body === undefined ? req : body,
          signal: abort,
        })
        upstreamLatencyMs = performance.now() - attemptStart
        handle?.reportTtfb(upstreamLatencyMs)
        deps.onAttempt?.({ upstream, peer, status: response.statusCode })
        const canRetry =
          RETRY_STATUSES.has(response.statusCode) &&
          attempt < retries &&
          replayable &&
          (IDEMPOTENT.has(method) || buffered) &&
          performance.now() < deadline &&
          upstream !== undefined
        if (canRetry) {
          // Drain and drop this answer; the next attempt goes to another target.
          response.body.resume()
          lastFailure = response.statusCode === 504 ? PROXY_ERRORS.TIMEOUT : PROXY_ERRORS.BAD_GATEWAY
          continue
        }
        status = response.statusCode
        source = 'service'
        const outHeaders = clientResponseHeaders(response.headers)
        // Plugin headers replace the upstream's own (names differ only in case on the wire).
        for (const k of Object.keys(extraHeaders)) delete outHeaders[k.toLowerCase()]
        Object.assign(outHeaders, extraHeaders)
        outHeaders['via'] = VIA
        outHeaders['x-kong-upstream-latency'] = String(Math.round(upstreamLatencyMs))
        outHeaders['x-kong-proxy-latency'] = String(Math.round(attemptStart - started))
        if (setCookie) outHeaders['set-cookie'] = setCookie
        res.writeHead(response.statusCode, outHeaders)
        // Streams (no content-length) get their headers at once, so clients see the start
        // immediately; a sized response goes out with its first body write.
        if (response.headers['content-length'] === undefined) res.flushHeaders()
        const h = handle
        const tap = deps.responseTap?.({ match, status: response.statusCode, headers: response.headers, requestBody: body })
        response.body.on('data', (chunk: Buffer) => {
          tap?.write(chunk)
          if (!res.write(chunk)) {
            response.body.pause()
            res.once('drain', () => response.body.resume())
          }
        })
        response.body.once('end', () => {
          if (tap) tapResult = tap.end()
          res.end()
          h?.release()
        })
        response.body.once('error', () => {
          res.destroy()
          h?.release()
        })
        res.once('close', () => {
          if (!response.body.destroyed) response.body.destroy()
          h?.release()
        })
        return
      } catch (err) {
        if (abort.aborted) {
          handle?.release()
          return
        }
        const kind = classifyError(err)
        deps.onAttempt?.({ upstream, peer, failure: kind })
        lastFailure = kind === 'timeout' ? PROXY_ERRORS.TIMEOUT : PROXY_ERRORS.BAD_GATEWAY
        // A streamed request body cannot be sent twice.
        if (!replayable || performance.now() >= deadline) break
        deps.log.debug({ err, peer: `${peer.host}:${peer.port}`, attempt }, 'upstream attempt failed')
      }
    }
    handle?.release()
    status = lastFailure.status
    sendError(res, lastFailure, extraHeaders)
  }

  const server = http.createServer(serverOptions(limits), (req, res) => {
    const refused = checkRequestHead(req, limits.headerLineBytes)
    if (refused) return sendError(res, refused, { connection: 'close' })
    handle(req, res).catch((err: unknown) => {
      deps.log.error({ err }, 'proxy request failed')
      sendError(res, PROXY_ERRORS.INTERNAL)
    })
  })

  server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    const reply = clientErrorReply(err)
    // Answer only when nothing of a response is on the wire yet (Node's own rule, which reads
    // the socket's current response): a reply in the middle of one would corrupt it.
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    if (reply && socket.writable && !busy) {
      socket.end(rawErrorResponse(reply, SERVER, http.STATUS_CODES[reply.status] ?? ''))
    }
    socket.destroy()
  })
  // CONNECT asks for a tunnel, which a reverse proxy never opens.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    const err = PROXY_ERRORS.BAD_REQUEST
    socket.end(rawErrorResponse(err, SERVER, http.STATUS_CODES[err.status] ?? ''))
  })

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { match } = route(req)
    const reject = (err: ProxyError) => {
      const body = JSON.stringify({ message: err.message })
      socket.end(
        `HTTP/1.1 ${err.status} ${http.STATUS_CODES[err.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
      )
    }
    const refused = checkRequestHead(req, limits.headerLineBytes)
    if (refused) return reject(refused)
    if (!match) return reject(PROXY_ERRORS.NO_ROUTE)
    if (!match.service) return reject(PROXY_ERRORS.NO_SERVICE)
    const upstream = deps.state.upstreamByName(match.service.host)
    let target: { host: string; port: number }
    let handle: Handle | undefined
    if (upstream) {
      const picked = upstream.balancer.pick({})
      if (!picked.ok) return reject(PROXY_ERRORS.NO_PEER)
      handle = picked.handle
      target = picked.peer
    } else {
      target = { host: match.service.host, port: Number(match.service.port) }
    }
    socket.once('close', () => handle?.release())
    const { query } = splitUrl(req.url ?? '/')
    req.url = query ? `${match.upstreamPath}?${query}` : match.upstreamPath
    const hostPart = target.host.includes(':') ? `[${target.host}]` : target.host
    wsProxy.ws(req, socket, head, { target: `http://${hostPart}:${target.port}` })
  })

  return {
    server,
    close: async () => {
      wsProxy.close()
      await pools.close()
    },
  }
}

function serverOptions(limits: ProxyLimits): http.ServerOptions {
  return {
    // Node counts the request line and headers together; per-line limits are checkRequestHead's.
    maxHeaderSize: limits.headerTotalBytes,
    headersTimeout: limits.headerTimeoutMs,
    // No cap on a whole request (nginx has none); slow bodies meet client_body_timeout instead.
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // checkRequestHead answers a missing Host with Kong's body.
    requireHostHeader: false,
    // Expired header timers are found by a sweep; a quarter of the timeout keeps the overshoot small.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headerTimeoutMs / 4))),
  }
}
