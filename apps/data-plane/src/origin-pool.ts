// Keep-alive connections to one upstream origin (host, port, TLS options, timeouts): idle ones
// are reused most-recent first, a request finding none opens another (no cap: without
// pipelining each stream holds its connection, as nginx's default max_conns=0). An idle
// connection is closed after KEEP_ALIVE_MS, or sooner when the server's Keep-Alive hint says
// it will close it first, so a request is not sent on a connection the server is dropping.

import net from 'node:net'
import tls from 'node:tls'
import type { IdleSweep } from './idle-sweep.js'
import {
  requestHead,
  UpstreamConnection,
  upstreamError,
  UPSTREAM_ERROR,
  type ConnectionOwner,
  type UpstreamHandler,
  type UpstreamRequest,
} from './upstream-connection.js'

export const KEEP_ALIVE_MS = 60_000
/** Closed this long before the server's announced keep-alive timeout. */
const HINT_MARGIN_MS = 1_500

export interface OriginOptions {
  host: string
  port: number
  connectMs: number
  /** TLS to the upstream (tls.connect options), or plain TCP. */
  tls?: tls.ConnectionOptions
}

export class OriginPool implements ConnectionOwner {
  private readonly idle: UpstreamConnection[] = []
  private readonly all = new Set<UpstreamConnection>()
  private closed = false

  constructor(
    private readonly options: OriginOptions,
    /** Times reads (the service's read_timeout); undefined when there is none. */
    private readonly readSweep: IdleSweep | undefined,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** Sends `req` on an idle connection or a new one; the response goes to `handler`. */
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): void {
    if (this.closed) return refuse(handler, poolClosed())
    // Checked before a connection is taken: a refused head neither opens one nor touches an
    // idle one's keep-alive expiry.
    let head: string
    try {
      head = requestHead(req)
    } catch (err) {
      return refuse(handler, err as Error)
    }
    // Idle connections are all live: one that closes leaves the list (remove).
    const conn = this.idle.pop() ?? this.connect()
    conn.send(req, head, handler, this.readSweep)
  }

  resend(req: UpstreamRequest, head: string, handler: UpstreamHandler): void {
    if (this.closed) return handler.onError(poolClosed())
    this.connect().send(req, head, handler, this.readSweep)
  }

  private connect(): UpstreamConnection {
    const { host, port, connectMs } = this.options
    const socket = this.options.tls ? tls.connect({ ...this.options.tls, host, port }) : net.connect({ host, port })
    // TCP keep-alive probes find a peer that vanished without a FIN (as undici's connector does).
    socket.setKeepAlive(true, KEEP_ALIVE_MS)
    const conn = new UpstreamConnection(socket, this, connectMs, this.options.tls ? 'secureConnect' : 'connect')
    this.all.add(conn)
    return conn
  }

  release(conn: UpstreamConnection, keepAliveHintMs: number | undefined): void {
    const limit = keepAliveHintMs === undefined ? KEEP_ALIVE_MS : Math.min(KEEP_ALIVE_MS, keepAliveHintMs - HINT_MARGIN_MS)
    if (this.closed || limit <= 0) {
      conn.destroy()
      return
    }
    conn.idleSince = this.now()
    conn.idleLimitMs = limit
    this.idle.push(conn)
  }

  remove(conn: UpstreamConnection): void {
    this.all.delete(conn)
    const i = this.idle.lastIndexOf(conn)
    if (i !== -1) this.idle.splice(i, 1)
  }

  /** Closes connections idle past their limit. */
  expireIdle(): void {
    if (this.idle.length === 0) return
    const now = this.now()
    // A copy: destroy() takes the connection out of the list.
    for (const conn of [...this.idle]) if (now - conn.idleSince >= conn.idleLimitMs) conn.destroy()
  }

  /** Connections carrying a request, and idle ones. */
  get stats(): { running: number; idle: number } {
    return { running: this.all.size - this.idle.length, idle: this.idle.length }
  }

  /** Closes every connection, busy ones too (their requests fail). */
  destroy(): void {
    this.closed = true
    for (const conn of [...this.all]) conn.fail(poolClosed())
  }
}

const poolClosed = () => upstreamError(UPSTREAM_ERROR.closed, 'connection pool closed')

/** Fails a request no connection was given to (the handler still gets its abort first). */
function refuse(handler: UpstreamHandler, err: Error): void {
  handler.onConnect(() => {})
  handler.onError(err)
}
