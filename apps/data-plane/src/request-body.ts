// Reading a request body the proxy buffers (Kong's request_buffering), within nginx's
// client_max_body_size and client_body_timeout: a body over the limit is 413 (refused from
// Content-Length alone when it says so), a client pausing longer than the timeout between two
// reads is 408, and a client that goes away mid-body gets nothing forwarded.

import type http from 'node:http'
import { IdleSweep, type IdleMember } from './idle-sweep.js'
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

/** One shared sweep per idle timeout (a server has one client_body_timeout). */
const sweeps = new Map<number, IdleSweep>()

function sweepFor(idleMs: number): IdleSweep {
  let sweep = sweeps.get(idleMs)
  if (sweep === undefined) sweeps.set(idleMs, (sweep = new IdleSweep(idleMs)))
  return sweep
}

/**
 * One body being read: its listeners are methods of this object bound once, and the idle
 * timeout is a shared sweep's (no timer per request; a chunk is one field write, no closure
 * per chunk or request beyond the promise's own).
 */
class BodyReader implements IdleMember {
  readonly result: Promise<BodyResult>
  private resolve!: (r: BodyResult) => void
  private readonly chunks: Buffer[] = []
  private size = 0
  private readonly sweep: IdleSweep | undefined
  idleTick = 0
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
    if (limits.idleMs > 0) {
      this.sweep = sweepFor(limits.idleMs)
      this.sweep.add(this)
    }
  }

  /** The client paused longer than the idle timeout (the sweep already dropped this reader). */
  expire(): void {
    this.finish(PROXY_ERRORS.REQUEST_TIMEOUT)
  }

  private data(c: Buffer): void {
    this.size += c.length
    if (this.limits.maxBytes > 0 && this.size > this.limits.maxBytes) {
      // Stop reading; the 413 goes out with `Connection: close`, which drops the rest.
      this.req.pause()
      return this.finish(PROXY_ERRORS.PAYLOAD_TOO_LARGE)
    }
    this.chunks.push(c)
    this.sweep?.touch(this)
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
    this.sweep?.delete(this)
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
