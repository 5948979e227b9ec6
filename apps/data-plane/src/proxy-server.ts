// createProxyServer(deps): the data plane's HTTP server. A request does one route lookup and
// one balancer pick per attempt; bodies stream both ways through the proxy's own keep-alive
// HTTP/1.1 client, OriginPool (responses are never buffered, so SSE chunks reach the client
// as they arrive). Retries go to targets not yet
// tried, on connect errors and timeouts, and on 502/503/504 while nothing has reached the
// client and the request body can be replayed. WebSocket upgrades go through http-proxy.

import type { Handle, Peer } from '@switchyard/balancer'
import type { Logger } from '@switchyard/log'
import httpProxy from 'http-proxy'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { Duplex } from 'node:stream'
import type { EntityJson } from '@switchyard/cluster'
import type { TLSSocket } from 'node:tls'
import type { BalancedUpstream, ConfigState } from './config-state.js'
import { hashValue, type HashRequest } from './hash-input.js'
import { clientResponseHead, upstreamRequestHeaders } from './headers.js'
import { PROXY_ERRORS, type ProxyError } from './proxy-errors.js'
import { RequestEdits } from './request-edits.js'
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './proxy-limits.js'
import { ABORTED, declaredBodyTooLarge, readRequestBody, type BodyLimits } from './request-body.js'
import { checkRequestHead, clientErrorReply, rawErrorResponse } from './request-guard.js'
import type { RouteMatch, RouteRequest } from './router.js'
import { classifyError, UpstreamPools, type FailureKind } from './upstream-pools.js'
import type { AiRuntime, Ticket } from './ai-runtime.js'
import { createAiUsageTap, isAiUsage } from './ai-usage.js'
import { upstreamBody } from './upstream-body.js'
import { UpstreamAttempt, type AttemptHead, type AttemptSink } from './upstream-attempt.js'
import { UpstreamTls, wsProxyOptions } from './upstream-tls.js'

export const VIA = '1.1 kong/3.9.3'
export const SERVER = 'kong/3.9.3'
const RETRY_STATUSES = new Set([502, 503, 504])
/** No plugin headers (compared by identity: the common case skips the merge). */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'])
/** Error bodies up to this size are read whole for a wait hint (Gemini's retryDelay). */
const ERROR_BODY_CAP = 64 * 1024

/** What happened on one attempt, for passive health checks and metrics. */
export interface AttemptOutcome {
  upstream: BalancedUpstream | undefined
  peer: { host: string; port: number; id?: string; target?: string }
  status?: number
  failure?: FailureKind
  /** The answer was a provider rate-limit signal, handled by a cooldown, not by passive checks. */
  rateLimited?: boolean
}

/** Who sent the request, once an auth plugin identified it (Kong's kong.client.authenticate). */
export interface Authenticated {
  consumer: EntityJson | null
  credential: EntityJson | null
}

/** What plugins see in their access phase. */
export interface AccessContext {
  req: http.IncomingMessage
  match: RouteMatch
  /** Client address as the proxy saw it. */
  clientIp: string
  upstream: BalancedUpstream | undefined
  /** Raw query string without `?`. */
  query: string
  /** Set by an auth plugin; later plugins and the balancer read it. */
  auth?: Authenticated | undefined
  /** Changes to the upstream request (headers, query, body). */
  edits: RequestEdits
  /** The request body, read once and then also sent upstream. */
  body(): Promise<Buffer>
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
  /** AI-aware balancing: provider signals, budgets, usage (optional). */
  ai?: AiRuntime
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
  /** Serves another server's requests and upgrades the same way (the TLS listeners). */
  attach(other: http.Server): void
  close(): Promise<void>
}

/** Requests that arrived on a TLS listener. */
const isTls = (req: http.IncomingMessage) => (req.socket as TLSSocket).encrypted === true

/**
 * What the router and the hash read from one request. Repeated headers as arrays
 * (`headersDistinct`) are built only when something reads them (a route with header rules, a
 * hash on a header or cookie): Node builds that object anew on every access.
 */
class RequestView implements RouteRequest {
  readonly method: string
  readonly host: string | undefined
  readonly protocol: 'http' | 'https'
  readonly sni: string | undefined
  readonly localPort: number | undefined
  private distinct: Record<string, string[]> | undefined
  /** Set by `route` once the router has seen this request. */
  match: RouteMatch | null = null

  constructor(
    private readonly req: http.IncomingMessage,
    readonly path: string,
    readonly query: string
  ) {
    this.method = req.method ?? 'GET'
    this.host = req.headers.host
    const tls = isTls(req)
    this.protocol = tls ? 'https' : 'http'
    this.sni = tls ? (req.socket as TLSSocket).servername || undefined : undefined
    this.localPort = req.socket.localPort
  }

  get headers(): Record<string, string[]> {
    return (this.distinct ??= this.req.headersDistinct as Record<string, string[]>)
  }
}

/** The hash's view of a request: the normalised path, and the headers only when read. */
class HashView implements HashRequest {
  constructor(
    private readonly view: RequestView,
    readonly path: string
  ) {}

  get query(): string {
    return this.view.query
  }

  get headers(): Record<string, string[]> {
    return this.view.headers
  }
}

/**
 * What the log phase needs of one request, and the one 'close' listener it has: shared by
 * every request (EventEmitter calls it with the response as `this`), so none is created per
 * request.
 */
const EXCHANGE = Symbol('exchange')
type TrackedResponse = http.ServerResponse & { [EXCHANGE]?: Exchange }

class Exchange {
  status = 0
  upstreamLatencyMs: number | undefined
  upstream: BalancedUpstream | undefined
  requestBytes = 0
  source: 'service' | 'kong' = 'kong'
  forward: ResponseForward | undefined
  consumerName: string | undefined
  /** The client went away before the response finished. */
  gone = false
  /** The running upstream attempt, ended when the client goes away. */
  current: UpstreamAttempt | undefined
  private readonly writtenBefore: number

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    readonly started: number,
    readonly match: RouteMatch | null,
    private readonly onRequestEnd: ((info: RequestEnd) => void) | undefined
  ) {
    // Counted from the socket, so headers and chunk framing are included as in nginx.
    this.writtenBefore = req.socket.bytesWritten
    ;(res as TrackedResponse)[EXCHANGE] = this
    res.on('close', onResponseClose)
  }

  closed(): void {
    const res = this.res
    if (!res.writableFinished) {
      this.gone = true
      this.current?.abort()
    }
    this.forward?.closed()
    if (!this.onRequestEnd) return
    const now = performance.now()
    const upstreamLatencyMs = this.upstreamLatencyMs
    const info: RequestEnd = {
      source: this.source,
      route: this.match,
      upstream: this.upstream,
      status: this.status || res.statusCode,
      upstreamLatencyMs,
      proxyLatencyMs: Math.max(0, now - this.started - (upstreamLatencyMs ?? 0)),
      totalMs: now - this.started,
      requestBytes: requestHeadBytes(this.req) + this.requestBytes,
      responseBytes: Math.max(0, this.req.socket.bytesWritten - this.writtenBefore),
    }
    const tap = this.forward?.tapResult
    if (tap !== undefined) info.tap = tap
    if (this.consumerName !== undefined) info.consumer = this.consumerName
    this.onRequestEnd(info)
  }
}

function onResponseClose(this: TrackedResponse): void {
  this[EXCHANGE]?.closed()
}

/** AccessContext for one request; the body is read once, whoever asks first. */
class AccessCtx implements AccessContext {
  readonly clientIp: string
  auth?: Authenticated | undefined
  readonly edits = new RequestEdits()
  bodyRead: ReturnType<typeof readRequestBody> | undefined

  constructor(
    readonly req: http.IncomingMessage,
    readonly match: RouteMatch,
    readonly upstream: BalancedUpstream | undefined,
    readonly query: string,
    private readonly limits: BodyLimits
  ) {
    this.clientIp = req.socket.remoteAddress ?? ''
  }

  body(): Promise<Buffer> {
    this.bodyRead ??= readRequestBody(this.req, this.limits)
    return this.bodyRead.then(bodyOrEmpty)
  }
}

function bodyOrEmpty(r: Awaited<ReturnType<typeof readRequestBody>>): Buffer {
  return Buffer.isBuffer(r) ? r : Buffer.alloc(0)
}

/** Host header for a balancer peer (stable objects), computed once per peer. */
const peerHostHeaders = new WeakMap<object, string>()

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

/** Size of the request line and headers as they arrived (HTTP/1.1 framing). */
function requestHeadBytes(req: http.IncomingMessage): number {
  // "METHOD SP url SP HTTP/x.y CRLF", then "name: value CRLF" per header, then CRLF.
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 12
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) n += raw[i]!.length + raw[i + 1]!.length + 4
  return n + 2
}

function idOf(entity: EntityJson | null | undefined): string | undefined {
  const id = entity?.['id']
  return typeof id === 'string' ? id : undefined
}

function hostHeaderFor(peer: { host: string; port: number }, upstream: BalancedUpstream | undefined): string {
  const configured = upstream?.entity['host_header']
  if (typeof configured === 'string' && configured !== '') return configured
  let header = peerHostHeaders.get(peer)
  if (header === undefined) {
    const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host
    header = peer.port === 80 || peer.port === 443 ? host : `${host}:${peer.port}`
    // Only the balancer's peers live on; a service's own host:port is a new object each time.
    if (upstream) peerHostHeaders.set(peer, header)
  }
  return header
}

/**
 * The committed response's body on its way to the client: every chunk through the tap (if any)
 * and to the client with backpressure; at the end the tap's result, the AI ticket settled and
 * the balancer's attempt released, exactly once whatever ends it (end, error, client gone).
 */
class ResponseForward implements AttemptSink {
  /** What the tap returned when the body was complete. */
  tapResult: unknown
  private done = false
  private onDrain: (() => void) | undefined

  constructor(
    private readonly res: http.ServerResponse,
    private readonly attempt: UpstreamAttempt,
    private readonly tap: ResponseTap | undefined,
    private readonly ai: AiRuntime | undefined,
    private readonly ticket: Ticket | undefined,
    private readonly handle: Handle | undefined
  ) {}

  data(chunk: Buffer): boolean {
    this.tap?.write(chunk)
    if (this.res.write(chunk)) return true
    if (!this.onDrain) {
      const attempt = this.attempt
      this.onDrain = () => attempt.resume()
      this.res.on('drain', this.onDrain)
    }
    return false
  }

  end(): void {
    const usage = this.tap ? (this.tapResult = this.tap.end()) : undefined
    this.res.end()
    this.finish(usage)
  }

  error(): void {
    this.res.destroy()
    this.finish(undefined)
  }

  /** The response closed (the client may have gone away mid-body: the attempt was aborted). */
  closed(): void {
    this.finish(undefined)
  }

  private finish(usage: unknown): void {
    if (this.done) return
    this.done = true
    if (this.ticket) this.ai?.settle(this.ticket, isAiUsage(usage) ? usage.totalTokens : undefined, true)
    this.handle?.release()
  }
}

export function createProxyServer(deps: ProxyDeps): ProxyServer {
  const limits = deps.limits ?? DEFAULT_PROXY_LIMITS
  const bodyLimits = { maxBytes: limits.maxBodyBytes, idleMs: limits.bodyTimeoutMs }
  const pools = new UpstreamPools()
  const upstreamTls = new UpstreamTls(deps.state)
  const wsProxy = httpProxy.createProxyServer({ ws: true, xfwd: true })
  wsProxy.on('error', (_err, _req, target) => {
    if (target && 'destroy' in target) (target as Duplex).destroy()
  })

  /** The request's view with its route match on it (one object, no result pair). */
  function route(req: http.IncomingMessage): RequestView {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const view = q === -1 ? new RequestView(req, url, '') : new RequestView(req, url.slice(0, q), url.slice(q + 1))
    view.match = deps.state.router.match(view)
    return view
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Failures are answered here (a try/catch: no rejection handler per request).
    try {
      const started = performance.now()
      const view = route(req)
      const match = view.match
      const { path, query } = view
      const x = new Exchange(req, res, started, match, deps.onRequestEnd)
      let extraHeaders: Record<string, string> = NO_HEADERS
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
      const upstream = deps.state.upstreamByName(service.host)
      x.upstream = upstream
      let accessCtx: AccessCtx | undefined
      if (deps.access) {
        // Read once, under the body limits, whether a plugin (key_in_body) or the proxy asks first.
        accessCtx = new AccessCtx(req, match, upstream, query, bodyLimits)
        const pending = deps.access(accessCtx)
        // Most requests meet no plugin: no await (and no microtask turn) for a plain answer.
        const verdict = pending instanceof Promise ? await pending : pending
        const username = accessCtx.auth?.consumer?.['username']
        if (typeof username === 'string') x.consumerName = username
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
      const edits = accessCtx?.edits
      const auth = accessCtx?.auth
      const bodyRead = accessCtx?.bodyRead
      const read = !hasBody ? null : bodyRead ? await bodyRead : buffered ? await readRequestBody(req, bodyLimits) : undefined
      if (read === ABORTED) return
      if (read !== null && read !== undefined && !Buffer.isBuffer(read)) {
        return sendError(res, read, { connection: 'close' })
      }
      let body = read
      if (edits?.body) body = edits.body
      x.requestBytes = body?.length ?? Number(req.headers['content-length'] ?? 0)
      const replayable = body !== undefined || req.headers['content-length'] === '0'
      const method = req.method ?? 'GET'

      let setCookie: string | undefined
      let hash: string | undefined
      if (upstream && upstream.entity.hash_on !== 'none') {
        const hv = hashValue(upstream.entity, new HashView(view, match.path), {
          consumerId: idOf(auth?.consumer),
          credentialId: idOf(auth?.credential),
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
      const writeMs = Number(service.write_timeout)
      // TLS to the upstream (service protocol https): verification, trust store, client certificate.
      const tlsOptions = upstreamTls.forService(service, upstream)
      // Overall deadline for all attempts: one connect plus one read window.
      const deadline = started + timeouts.connectMs + timeouts.readMs
      // The client going away (x.gone) ends the running attempt (x.current) and starts no other.
      const ai = upstream ? deps.ai : undefined
      const canReplay = replayable && (IDEMPOTENT.has(method) || buffered) && upstream !== undefined

      let handle: Handle | undefined
      let lastFailure: ProxyError = PROXY_ERRORS.BAD_GATEWAY
      let attempt = 0
      while (attempt <= retries) {
        let peer: Peer | { host: string; port: number }
        if (upstream) {
          const picked = upstream.balancer.pick({ hashValue: hash }, handle)
          if (!picked.ok) {
            handle?.release()
            // Every target cooling down or out of budget: say when to come back, as a provider would.
            const wait = ai?.exhaustedFor(upstream)
            if (wait !== undefined) {
              x.status = PROXY_ERRORS.TARGETS_EXHAUSTED.status
              return sendError(res, PROXY_ERRORS.TARGETS_EXHAUSTED, { ...extraHeaders, 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) })
            }
            return sendError(res, attempt === 0 ? PROXY_ERRORS.NO_PEER : lastFailure, extraHeaders)
          }
          handle = picked.handle
          peer = picked.peer
        } else {
          peer = { host: service.host, port: Number(service.port) }
        }
        let ticket: Ticket | undefined
        if (ai && upstream && 'id' in peer) {
          if (ai.needsAdmission(peer)) {
            ticket = await ai.admit(upstream, peer, body)
            if (x.gone) {
              ai.settle(ticket, undefined, false)
              handle?.release()
              return
            }
            // Over budget: that target sits out until its window rolls; pick again without
            // spending a retry (the handle has it as tried, so this ends).
            if (!ticket) continue
          } else if (ai.wantsUsage(upstream, peer)) ticket = ai.track(upstream, peer, body)
        }
        attempt++
        const mayRetry = attempt <= retries && canReplay
        const attemptStart = performance.now()
        const upstreamHost = match.upstreamHost ?? hostHeaderFor(peer, upstream)
        const pool = tlsOptions
          ? pools.get(peer.host, peer.port, timeouts, upstreamTls.withServerName(tlsOptions, upstreamHost))
          : pools.forPeer(peer, timeouts)
        const forwarded = upstreamRequestHeaders(req.headers, {
          clientIp: req.socket.remoteAddress ?? '',
          proto: view.protocol,
          host: view.host,
          port: view.protocol === 'https' ? (view.localPort ?? deps.port()) : deps.port(),
          path,
          prefix: match.prefix,
          upstreamHost,
        })
        const headers = edits ? edits.applyHeaders(forwarded) : forwarded
        const upstreamQuery = edits ? edits.applyQuery(query) : query
        const upstreamPath = upstreamQuery ? `${match.upstreamPath}?${upstreamQuery}` : match.upstreamPath
        const attemptRun = new UpstreamAttempt()
        x.current = attemptRun
        pool.dispatch(
          {
            method,
            path: upstreamPath,
            headers,
            // A fresh stream per attempt: a retry sends the whole body again.
            body: body === undefined ? req : body === null ? null : upstreamBody(body, writeMs),
          },
          attemptRun
        )
        let response: AttemptHead
        try {
          response = await attemptRun.head
        } catch (err) {
          ai?.settle(ticket, undefined, false)
          if (x.gone) {
            handle?.release()
            return
          }
          const kind = classifyError(err)
          deps.onAttempt?.({ upstream, peer, failure: kind })
          lastFailure = kind === 'timeout' ? PROXY_ERRORS.TIMEOUT : PROXY_ERRORS.BAD_GATEWAY
          // A streamed request body cannot be sent twice.
          if (!replayable || performance.now() >= deadline) break
          if (ai && upstream && attempt <= retries) ai.noteFailover(upstream, kind)
          deps.log.debug({ err, peer: `${peer.host}:${peer.port}`, attempt }, 'upstream attempt failed')
          continue
        }
        const upstreamLatencyMs = performance.now() - attemptStart
        x.upstreamLatencyMs = upstreamLatencyMs
        handle?.reportTtfb(upstreamLatencyMs)
        const code = response.status
        // What the provider says about its limits: a cooldown, a share, and whether to fail over.
        let heldBody = false
        let rateLimited = false
        if (ai && upstream && 'id' in peer) {
          const length = Number(response.headers['content-length'] ?? 0)
          if (ai.wantsBody(upstream, code) && length <= ERROR_BODY_CAP) {
            await attemptRun.waitStart(true, ERROR_BODY_CAP)
            heldBody = true
          }
          const text = heldBody && attemptRun.ended ? Buffer.concat(attemptRun.chunks).toString('utf8') : undefined
          rateLimited = ai.onResponse(upstream, peer, code, response.headers, text)
        }
        if (deps.onAttempt) {
          // No spread of a conditional object: the outcome is one literal either way.
          deps.onAttempt(rateLimited ? { upstream, peer, status: code, rateLimited } : { upstream, peer, status: code })
        }
        const canRetry = (RETRY_STATUSES.has(code) || rateLimited) && mayRetry && performance.now() < deadline
        if (canRetry) {
          // Drop this answer; the next attempt goes to another target.
          ai?.settle(ticket, 0, true)
          attemptRun.discard()
          lastFailure = code === 504 ? PROXY_ERRORS.TIMEOUT : PROXY_ERRORS.BAD_GATEWAY
          continue
        }
        // While another target could still take the request, commit to this answer only once
        // its first byte is here: a stream that dies before it fails over, the client none the wiser.
        if (!heldBody && mayRetry && performance.now() < deadline) {
          // A small answer is usually whole by now: no await (and no microtask turn) then.
          if (!attemptRun.started) await attemptRun.waitStart(false)
          if (attemptRun.error !== undefined && attemptRun.chunks.length === 0) {
            ai?.settle(ticket, undefined, true)
            if (x.gone) {
              handle?.release()
              return
            }
            deps.onAttempt?.({ upstream, peer, failure: classifyError(attemptRun.error) })
            if (ai && upstream) ai.noteFailover(upstream, 'stream_error')
            lastFailure = PROXY_ERRORS.BAD_GATEWAY
            continue
          }
        }
        x.status = code
        x.source = 'service'
        // The head as a flat list: no header object to build, copy and delete from.
        res.writeHead(
          code,
          clientResponseHead(response.headers, {
            plugin: extraHeaders === NO_HEADERS ? undefined : extraHeaders,
            via: VIA,
            upstreamLatencyMs,
            proxyLatencyMs: attemptStart - started,
            setCookie,
          })
        )
        // Streams (no content-length) get their headers at once, so clients see the start
        // immediately; a sized response goes out with its first body write.
        if (response.headers['content-length'] === undefined) res.flushHeaders()
        let tap = deps.responseTap?.({ match, status: code, headers: response.headers, requestBody: body })
        // Token budgets and lowest-usage need the usage even where metrics do not tap.
        if (!tap && ticket) tap = createAiUsageTap(response.headers)
        const forward = new ResponseForward(res, attemptRun, tap, ai, ticket, handle)
        x.forward = forward
        // Whatever was held back (an end may have come after the first chunk) goes out first.
        attemptRun.commit(forward)
        return
      }
      handle?.release()
      x.status = lastFailure.status
      sendError(res, lastFailure, extraHeaders)
    } catch (err) {
      deps.log.error({ err }, 'proxy request failed')
      sendError(res, PROXY_ERRORS.INTERNAL)
    }
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const refused = checkRequestHead(req, limits.headerLineBytes)
    if (refused) return sendError(res, refused, { connection: 'close' })
    void handle(req, res)
  }
  const server = http.createServer(serverOptions(limits), onRequest)

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

  /** An answer written straight to an upgrade request's socket. */
  function answerUpgrade(socket: Duplex, status: number, message: unknown, headers: Record<string, string> = {}): void {
    const body = typeof message === 'string' ? message : JSON.stringify(message)
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`
    )
  }
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(req, socket, head).catch((err: unknown) => {
      deps.log.error({ err }, 'websocket upgrade failed')
      answerUpgrade(socket, PROXY_ERRORS.INTERNAL.status, { message: PROXY_ERRORS.INTERNAL.message })
    })
  }
  server.on('upgrade', onUpgrade)

  async function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const view = route(req)
    const match = view.match
    const rawQuery = view.query
    const reject = (err: ProxyError) => answerUpgrade(socket, err.status, { message: err.message })
    const refused = checkRequestHead(req, limits.headerLineBytes)
    if (refused) return reject(refused)
    if (!match) return reject(PROXY_ERRORS.NO_ROUTE)
    if (!match.service) return reject(PROXY_ERRORS.NO_SERVICE)
    const upstream = deps.state.upstreamByName(match.service.host)
    let query = rawQuery
    if (deps.access) {
      // Plugins run for upgrades too: key-auth must not be bypassed by asking for a WebSocket.
      const ctx: AccessContext = {
        req,
        match,
        clientIp: req.socket.remoteAddress ?? '',
        upstream,
        query,
        edits: new RequestEdits(),
        body: async () => Buffer.alloc(0),
      }
      const verdict = await deps.access(ctx)
      if (verdict?.response) {
        const r = verdict.response
        return answerUpgrade(socket, r.status, r.body ?? '', { ...verdict.headers, ...r.headers })
      }
      for (const [name, value] of ctx.edits.headers) {
        if (value === null) delete req.headers[name]
        else req.headers[name] = value
      }
      query = ctx.edits.applyQuery(query)
    }
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
    req.url = query ? `${match.upstreamPath}?${query}` : match.upstreamPath
    wsProxy.ws(req, socket, head, wsProxyOptions(target, upstreamTls.forService(match.service, upstream)))
  }

  return {
    server,
    attach(other) {
      other.on('request', onRequest)
      other.on('upgrade', onUpgrade)
    },
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
