// Reading a request body the proxy buffers (Kong's request_buffering), within nginx's
// client_max_body_size and client_body_timeout: a body over the limit is 413 (refused from
// Content-Length alone when it says so), a client pausing longer than the timeout between two
// reads is 408, and a client that goes away mid-body gets nothing forwarded.

import type http from 'node:http'
import { PROXY_ERRORS, type ProxyError } from './proxy-errors.js'

/** True when Content-Length alone already exceeds the limit (0 = unlimited). */
export function declaredBodyTooLarge(req: http.IncomingMessage, maxBytes: number): boolean {
  if (maxBytes <= 0) return false
  const declared = req.headers['content-length']
  return declared !== undefined && Number(declared) > maxBytes
}

/** What went wrong reading the body; `ABORTED` means the client left and nobody needs an answer. */
export const ABORTED = Symbol('aborted')

export interface BodyLimits {
  /** 0 = unlimited. */
  maxBytes: number
  /** Longest pause between two reads; 0 = none. */
  idleMs: number
}

type BodyResult = Buffer | ProxyError | typeof ABORTED

/**
 * One body being read: its listeners are methods of this object bound once, and the idle
 * timer, if any, is one per request and refreshed per chunk (no closure per chunk or request
 * beyond the promise's own).
 */
class BodyReader {
  readonly result: Promise<BodyResult>
  private resolve!: (r: BodyResult) => void
  private readonly chunks: Buffer[] = []
  private size = 0
  private timer: NodeJS.Timeout | undefined
  private readonly onData = this.data.bind(this)
  private readonly onEnd = this.end.bind(this)
  private readonly onError = this.fail.bind(this)

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly limits: BodyLimits
  ) {
    this.result = new Promise<BodyResult>((resolve) => (this.resolve = resolve))
    req.on('data', this.onData)
    req.on('end', this.onEnd)
    req.on('error', this.onError)
    if (limits.idleMs > 0) this.timer = setTimeout(this.onIdle, limits.idleMs, this)
  }

  private onIdle(this: void, reader: BodyReader): void {
    reader.finish(PROXY_ERRORS.REQUEST_TIMEOUT)
  }

  private data(c: Buffer): void {
    this.size += c.length
    if (this.limits.maxBytes > 0 && this.size > this.limits.maxBytes) {
      // Stop reading; the 413 goes out with `Connection: close`, which drops the rest.
      this.req.pause()
      return this.finish(PROXY_ERRORS.PAYLOAD_TOO_LARGE)
    }
    this.chunks.push(c)
    this.timer?.refresh()
  }

  private end(): void {
    const chunks = this.chunks
    // One chunk (a small body, the usual case) is the body itself: no copy.
    this.finish(chunks.length === 1 && chunks[0]!.length === this.size ? chunks[0]! : Buffer.concat(chunks, this.size))
  }

  private fail(): void {
    this.finish(ABORTED)
  }

  private finish(result: BodyResult): void {
    if (this.timer) clearTimeout(this.timer)
    this.req.off('data', this.onData)
    this.req.off('end', this.onEnd)
    this.req.off('error', this.onError)
    this.resolve(result)
  }
}

/** The whole body, or the error to answer with. Never rejects. */
export function readRequestBody(req: http.IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  return new BodyReader(req, limits).result
}
