// One keep-alive HTTP/1.1 connection to an upstream, carrying one request at a time (no
// pipelining: a slow stream must not hold back the requests behind it). The request head is
// one string built from the proxy's flat header list and written with the body in one corked
// write; the response is read by H1ResponseParser and handed to an UpstreamHandler with the
// same contract as undici's dispatch handler (onData returning false pauses the socket until
// `resume`). Read timeouts are a shared IdleSweep's, not a timer per request.

import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { H1ResponseParser, HTTP_TOKEN, type ResponseSink } from './h1-response-parser.js'
import type { IdleMember, IdleSweep } from './idle-sweep.js'

/** What the proxy hands the client for one request. */
export interface UpstreamRequest {
  method: string
  /** Path and query, as sent on the request line. */
  path: string
  /** Flat [name, value, …] list, names lower-case, hop-by-hop headers already removed. */
  headers: string[]
  /** A buffered body (sent with its Content-Length), a stream, or none. */
  body: Buffer | Readable | null
}

/** Receives one response, as undici's dispatch handlers do. */
export interface UpstreamHandler {
  onConnect(abort: (err?: Error) => void): void
  /** Response headers with lower-case names; repeated headers as arrays. */
  onHeaders(status: number, headers: Record<string, string | string[]>, resume: () => void): boolean
  /** Returns false to pause reading until `resume` is called. */
  onData(chunk: Buffer): boolean
  onComplete(): void
  onError(err: Error): void
}

/** The pool a connection belongs to. */
export interface ConnectionOwner {
  /** The response ended and the connection can carry another request. */
  release(conn: UpstreamConnection, keepAliveHintMs: number | undefined): void
  /** The connection is gone (closed, failed or not reusable). */
  remove(conn: UpstreamConnection): void
  /** Sends again on a new connection (a reused one was closed under the request). */
  resend(req: UpstreamRequest, head: string, handler: UpstreamHandler): void
}

/** Error codes classifyError reads. */
export const UPSTREAM_ERROR = {
  connectTimeout: 'SWITCHYARD_CONNECT_TIMEOUT',
  headersTimeout: 'SWITCHYARD_HEADERS_TIMEOUT',
  bodyTimeout: 'SWITCHYARD_BODY_TIMEOUT',
  closed: 'SWITCHYARD_UPSTREAM_CLOSED',
  aborted: 'SWITCHYARD_ABORTED',
  badHeader: 'SWITCHYARD_BAD_REQUEST_HEADER',
  /** A streamed body longer or shorter than the Content-Length sent for it. */
  lengthMismatch: 'SWITCHYARD_REQUEST_LENGTH_MISMATCH',
} as const

/** Methods safe to send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
/** How a connection the server closed while idle fails the request sent on it. */
const STALE_CODES: ReadonlySet<string> = new Set([UPSTREAM_ERROR.closed, 'ECONNRESET', 'EPIPE'])

export function upstreamError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code })
}

const CRLF = '\r\n'

// The head is written as latin1, one byte per character: a character past U+00FF would lose
// its high byte (U+010D, U+010A become CR, LF) and split the head. So names are tokens, values
// field text (RFC 9110 §5.5: HTAB, visible ASCII, obs-text) and the request target visible
// latin1, as undici checks them.
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/
const BAD_TARGET = /[^\x21-\xff]/
const DIGITS = /^\d+$/
/** Methods whose requests carry content: with none, they say Content-Length: 0 (as undici). */
const PAYLOAD_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH'])

function badHeader(message: string): Error {
  return upstreamError(UPSTREAM_ERROR.badHeader, message)
}

/** The Content-Length given for a streamed body (checked by requestHead), or undefined: chunked. */
function declaredLength(list: string[]): number | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i] === 'content-length') return Number(list[i + 1])
  return undefined
}

/**
 * The request head: request line, headers, framing header, blank line. Throws on text that
 * could break the framing. The framing is the connection's: a buffered body, or none, is sent
 * with its own length whatever the list says; a streamed one with the list's Content-Length
 * (held to it while sending) or chunked. A Transfer-Encoding in the list is refused.
 */
export function requestHead(req: UpstreamRequest): string {
  if (!HTTP_TOKEN.test(req.method)) throw badHeader('invalid request method')
  if (req.path === '' || BAD_TARGET.test(req.path)) throw badHeader('invalid request path')
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`
  const list = req.headers
  const body = req.body
  const streamed = body !== null && !Buffer.isBuffer(body)
  let hasLength = false
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!
    const value = list[i + 1]!
    if (!HTTP_TOKEN.test(name) || BAD_VALUE.test(value)) throw badHeader(`invalid request header: ${JSON.stringify(name)}`)
    if (name === 'content-length') {
      if (!streamed) continue
      // Two lengths, or one that is not a number, leave the server to guess where the body ends.
      if (hasLength || !DIGITS.test(value) || !Number.isSafeInteger(Number(value))) throw badHeader('invalid content-length')
      hasLength = true
    } else if (name === 'expect') {
      // The proxy answered 100-continue to the client itself and holds the body.
      continue
    } else if (name === 'transfer-encoding') {
      throw badHeader('transfer-encoding is set by the connection')
    }
    head += name + ': ' + value + CRLF
  }
  if (body === null) {
    if (PAYLOAD_METHODS.has(req.method)) head += 'content-length: 0\r\n'
  } else if (!streamed) head += `content-length: ${(body as Buffer).length}\r\n`
  else if (!hasLength) head += 'transfer-encoding: chunked\r\n'
  return head + CRLF
}

export class UpstreamConnection implements ResponseSink, IdleMember {
  idleTick = 0
  /** When the connection went idle (ms, the pool's clock), for keep-alive expiry. */
  idleSince = 0
  /** How long it may stay idle (the server's Keep-Alive hint, less a margin). */
  idleLimitMs = 0
  /** The socket finished connecting. */
  private connected = false
  private readonly parser: H1ResponseParser
  private handler: UpstreamHandler | undefined
  private sweep: IdleSweep | undefined
  private paused = false
  private headSeen = false
  /** The request body is still being written. */
  private sending = false
  private connectTimer: NodeJS.Timeout | undefined
  private body: Readable | undefined
  private bodyListeners: { data: (c: Buffer) => void; end: () => void; error: (e: Error) => void; close: () => void } | undefined
  /** The running request's resume: bound to it, so a late one cannot resume the next request. */
  private resumeFn: () => void = () => {}
  private gone = false
  /** The connection completed a response: a request on it now goes on a reused one. */
  private answered = false
  /** The request in flight, kept for one resend when a reused connection dies under it. */
  private request: UpstreamRequest | undefined
  private head = ''
  /**
   * A body went with a method that does not carry one (a GET with a body): a server that
   * ignores it would read it as the next request, so the connection is not reused (as undici).
   */
  private closeAfter = false

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    connectMs: number,
    connectEvent: 'connect' | 'secureConnect'
  ) {
    this.parser = new H1ResponseParser(this)
    socket.setNoDelay(true)
    if (connectMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.fail(upstreamError(UPSTREAM_ERROR.connectTimeout, 'connect timeout'))
      }, connectMs)
    }
    socket.once(connectEvent, () => {
      this.connected = true
      if (this.connectTimer) clearTimeout(this.connectTimer)
      this.connectTimer = undefined
      // The read timeout starts once the request can go out; until then the connect timeout runs.
      if (this.sweep !== undefined) this.sweep.add(this)
    })
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('end', () => this.ended())
    socket.on('error', (err: Error) => this.fail(err))
    socket.on('close', () => this.fail(upstreamError(UPSTREAM_ERROR.closed, 'upstream closed the connection')))
  }

  /**
   * Sends one request whose head (from requestHead, checked before a connection was taken) is
   * `head`; the response goes to `handler`. `sweep` times the reads.
   */
  send(req: UpstreamRequest, head: string, handler: UpstreamHandler, sweep: IdleSweep | undefined): void {
    this.handler = handler
    this.headSeen = false
    this.paused = false
    this.parser.start(req.method)
    this.request = req
    this.head = head
    this.closeAfter = req.body !== null && !PAYLOAD_METHODS.has(req.method) && !(Buffer.isBuffer(req.body) && req.body.length === 0)
    // Both bound to this request: the connection may carry another by the time a late one comes.
    this.resumeFn = () => {
      if (this.handler === handler) this.resumeReading()
    }
    let aborted = false
    handler.onConnect((err) => {
      if (aborted || this.handler !== handler) return
      aborted = true
      this.fail(err ?? upstreamError(UPSTREAM_ERROR.aborted, 'request aborted'))
    })
    if (this.handler !== handler) return // aborted at once
    const body = req.body
    this.sweep = sweep
    if (this.connected) sweep?.add(this)
    const socket = this.socket
    if (body === null) {
      socket.write(head, 'latin1')
    } else if (Buffer.isBuffer(body)) {
      socket.cork()
      socket.write(head, 'latin1')
      if (body.length > 0) socket.write(body)
      socket.uncork()
    } else {
      socket.write(head, 'latin1')
      this.stream(body, declaredLength(req.headers))
    }
  }

  /**
   * Writes a streamed body, chunked when no `length` was given, pausing it on backpressure. A
   * body with a length is held to it: a byte past it would be read as the next request.
   */
  private stream(body: Readable, length: number | undefined): void {
    this.sending = true
    this.body = body
    const socket = this.socket
    const chunked = length === undefined
    let written = 0
    const mismatch = () => upstreamError(UPSTREAM_ERROR.lengthMismatch, `request body is not the ${length} bytes announced`)
    const data = (chunk: Buffer) => {
      if (this.sweep) this.sweep.touch(this)
      if (length !== undefined) {
        written += chunk.length
        if (written > length) return this.fail(mismatch())
      }
      let flushed: boolean
      if (chunked) {
        if (chunk.length === 0) return
        socket.cork()
        socket.write(chunk.length.toString(16) + CRLF, 'latin1')
        socket.write(chunk)
        flushed = socket.write(CRLF, 'latin1')
        socket.uncork()
      } else flushed = socket.write(chunk)
      if (!flushed) {
        body.pause()
        socket.once('drain', () => body.resume())
      }
    }
    const end = () => {
      this.detachBody()
      // Short: the server would wait for the rest, or read the next request as this body.
      if (length !== undefined && written !== length) return this.fail(mismatch())
      this.sending = false
      if (chunked) socket.write('0\r\n\r\n', 'latin1')
      // The response may have ended before the body did (an early answer): the connection is done.
      if (this.handler === undefined && !this.gone) this.destroy()
    }
    const error = (err: Error) => this.fail(err)
    const close = () => {
      // The client's request ended without its end (the client went away mid-upload).
      if (this.sending) this.fail(upstreamError(UPSTREAM_ERROR.aborted, 'request body ended early'))
    }
    this.bodyListeners = { data, end, error, close }
    body.on('data', data)
    body.once('end', end)
    body.once('error', error)
    body.once('close', close)
    // A body that already ended (a retry after an earlier attempt read it) sends no 'end' again;
    // one destroyed before its end (its client gone) sends no 'close' again.
    if (body.readableEnded) return end()
    if (body.destroyed) return close()
    // An IncomingMessage that was paused (nothing read yet) starts flowing here.
    body.resume()
  }

  private detachBody(): void {
    const body = this.body
    const l = this.bodyListeners
    if (!body || !l) return
    body.off('data', l.data)
    body.off('end', l.end)
    body.off('error', l.error)
    body.off('close', l.close)
    this.body = undefined
    this.bodyListeners = undefined
  }

  // The parser's sink

  onHead(status: number, headers: Record<string, string | string[]>): void {
    this.headSeen = true
    if (this.sweep) this.sweep.touch(this)
    this.handler?.onHeaders(status, headers, this.resumeFn)
  }

  onBody(chunk: Buffer): void {
    const handler = this.handler
    if (!handler) return
    if (this.sweep) this.sweep.touch(this)
    if (!handler.onData(chunk) && !this.paused && this.handler === handler) {
      this.paused = true
      this.socket.pause()
      // A reader that is slow is not an upstream that is: no read timeout while paused (as undici).
      this.sweep?.delete(this)
    }
  }

  onEnd(): void {
    this.answered = true
    this.request = undefined
    const handler = this.handler
    this.handler = undefined
    this.sweep?.delete(this)
    this.sweep = undefined
    handler?.onComplete()
  }

  // Socket events

  private read(chunk: Buffer): void {
    if (this.handler === undefined) {
      // Bytes nobody asked for: the connection is out of step with the server.
      this.destroy()
      return
    }
    try {
      this.parser.execute(chunk)
    } catch (err) {
      this.fail(err as Error)
      return
    }
    if (this.handler === undefined && !this.gone) this.settle()
  }

  /** After a response ended: back to the pool, or closed when it cannot carry another request. */
  private settle(): void {
    if (!this.parser.keepAlive || this.parser.trailingBytes || this.sending || this.closeAfter) return this.destroy()
    if (this.paused) {
      this.paused = false
      this.socket.resume()
    }
    this.owner.release(this, this.parser.keepAliveHintMs)
  }

  private ended(): void {
    if (this.handler !== undefined && this.parser.endsAtClose) {
      this.onEnd()
      this.destroy()
      return
    }
    this.fail(upstreamError(UPSTREAM_ERROR.closed, 'upstream closed the connection'))
  }

  private resumeReading(): void {
    if (!this.paused) return
    this.paused = false
    this.socket.resume()
    // The read timeout starts over, as it would after a chunk.
    if (this.sweep !== undefined) this.sweep.add(this)
  }

  /** The read timeout passed (IdleSweep). */
  expire(): void {
    this.sweep = undefined
    this.fail(
      this.headSeen
        ? upstreamError(UPSTREAM_ERROR.bodyTimeout, 'upstream body timeout')
        : upstreamError(UPSTREAM_ERROR.headersTimeout, 'upstream headers timeout')
    )
  }

  /** Ends the connection; a request on it fails with `err`. */
  fail(err: Error): void {
    const handler = this.handler
    const req = this.request
    this.handler = undefined
    this.request = undefined
    const stale = handler !== undefined && req !== undefined && this.diedIdle(req, err)
    this.parser.abandon()
    this.destroy()
    if (!handler) return
    // The server closed this kept-alive connection as the request went out (its idle timeout
    // raced ours): nothing was answered, so a request safe to repeat goes once more on a new
    // connection, as nginx and Go's client do, instead of failing as the upstream's fault.
    if (stale) this.owner.resend(req!, this.head, handler)
    else handler.onError(err)
  }

  private diedIdle(req: UpstreamRequest, err: Error): boolean {
    return (
      this.answered &&
      !this.parser.sawBytes &&
      !this.sending &&
      (req.body === null || Buffer.isBuffer(req.body)) &&
      IDEMPOTENT.has(req.method) &&
      STALE_CODES.has((err as Error & { code?: string }).code ?? '')
    )
  }

  /** Closes the connection and leaves the pool. */
  destroy(): void {
    if (this.gone) return
    this.gone = true
    if (this.connectTimer) clearTimeout(this.connectTimer)
    this.sweep?.delete(this)
    this.sweep = undefined
    this.detachBody()
    this.sending = false
    this.socket.destroy()
    this.owner.remove(this)
  }
}
