// One attempt to the upstream as the handler of an OriginPool dispatch, with no Readable or
// header copy per response beyond what the proxy needs.
// Until the proxy commits to the answer the body is held back (the first chunk for failover
// before the first byte, or a small error body whole for a wait hint); past `cap` bytes the
// connection is paused, so nothing is buffered without bound. Once committed, chunks go
// straight to the sink with the socket's backpressure (onData returning false pauses the
// socket until resume).

import type { UpstreamHandler } from './upstream-connection.js'

export interface AttemptHead {
  status: number
  /** Upstream response headers, lower-case names; repeated headers as arrays. */
  headers: Record<string, string | string[]>
}

/** Where a committed response's body goes. */
export interface AttemptSink {
  /** Returns false to pause the upstream until `UpstreamAttempt.resume()`. */
  data(chunk: Buffer): boolean
  end(): void
  error(err: unknown): void
}

const enum Mode {
  Hold,
  Forward,
  Drain,
}

const DEFAULT_CAP = 64 * 1024

export class UpstreamAttempt implements UpstreamHandler {
  /** Settles with the response head, or rejects when the attempt failed before it. */
  readonly head: Promise<AttemptHead>
  /** Body chunks held back so far (before a commit). */
  chunks: Buffer[] = []
  /** The body ended within what was held back. */
  ended = false
  /** The body failed (after the head); `chunks` holds what came before. */
  error: unknown = undefined

  private resolveHead!: (h: AttemptHead) => void
  private rejectHead!: (err: unknown) => void
  private gotHead = false
  private mode = Mode.Hold
  private size = 0
  private cap = DEFAULT_CAP
  private untilEnd = false
  private paused = false
  private wake: (() => void) | undefined
  private sink: AttemptSink | undefined
  private abortFn: ((err?: Error) => void) | undefined
  private resumeFn: (() => void) | undefined
  private aborted = false

  constructor() {
    this.head = new Promise<AttemptHead>((resolve, reject) => {
      this.resolveHead = resolve
      this.rejectHead = reject
    })
  }

  // The connection's handler interface

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort
    if (this.aborted) abort()
  }

  onHeaders(status: number, headers: Record<string, string | string[]>, resume: () => void): boolean {
    // 1xx informational answers are not the response.
    if (status < 200) return true
    this.resumeFn = resume
    this.gotHead = true
    this.resolveHead({ status, headers })
    return true
  }

  onData(chunk: Buffer): boolean {
    switch (this.mode) {
      case Mode.Forward:
        if (this.sink!.data(chunk)) return true
        this.paused = true
        return false
      case Mode.Drain:
        return true
      default:
        this.chunks.push(chunk)
        this.size += chunk.length
        if (!this.untilEnd || this.size > this.cap) this.notify()
        if (this.size > this.cap) {
          this.paused = true
          return false
        }
        return true
    }
  }

  onComplete(): void {
    if (this.mode === Mode.Forward) return this.sink!.end()
    this.ended = true
    this.notify()
  }

  onError(err: Error): void {
    if (!this.gotHead) {
      this.gotHead = true
      this.rejectHead(err)
      return
    }
    if (this.mode === Mode.Forward) return this.sink!.error(err)
    this.error = err
    this.notify()
  }

  // The proxy's side

  /**
   * Resolves once the body produced its first chunk (or `untilEnd`: everything, up to `cap`
   * bytes), ended or failed; at once when that is already so.
   */
  waitStart(untilEnd: boolean, cap = DEFAULT_CAP): Promise<void> {
    this.untilEnd = untilEnd
    this.cap = cap
    if (this.isStarted()) return Promise.resolve()
    return new Promise<void>((resolve) => (this.wake = resolve))
  }

  /** Whether the body already produced its first chunk, ended or failed (no wait needed). */
  get started(): boolean {
    return this.ended || this.error !== undefined || this.chunks.length > 0
  }

  /** Sends what was held back to `sink`, then everything else as it comes. */
  commit(sink: AttemptSink): void {
    this.sink = sink
    const held = this.chunks
    this.chunks = []
    let flowing = true
    for (const chunk of held) flowing = sink.data(chunk) && flowing
    if (this.error !== undefined) return sink.error(this.error)
    if (this.ended) return sink.end()
    this.mode = Mode.Forward
    if (flowing) this.resume()
    else this.paused = true
  }

  /** Drops this answer (a retry goes elsewhere): the rest is read and thrown away. */
  discard(): void {
    this.chunks = []
    this.mode = Mode.Drain
    this.resume()
  }

  /** Resumes a paused upstream (the sink drained). */
  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.resumeFn?.()
  }

  /** Ends the attempt (the client went away). */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.abortFn?.()
  }

  private isStarted(): boolean {
    if (this.ended || this.error !== undefined) return true
    return this.untilEnd ? this.size > this.cap : this.chunks.length > 0
  }

  private notify(): void {
    const wake = this.wake
    if (wake && this.isStarted()) {
      this.wake = undefined
      wake()
    }
  }
}
