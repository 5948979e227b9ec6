// One undici Pool per target address and timeout settings, kept alive across requests and
// config changes; pools nobody used for a while (removed targets, mostly) are closed by `prune`,
// which runs every minute.

import { Pool } from 'undici'
import { WRITE_TIMEOUT_CODE } from './upstream-body.js'
import type { UpstreamTlsOptions } from './upstream-tls.js'

export interface PoolTimeouts {
  connectMs: number
  readMs: number
}

/**
 * Connections per target address: no cap, as nginx has none by default (max_conns=0). Without
 * pipelining a request holds its connection until its response ends, so with a cap every
 * stream past it (an LLM answer streams for seconds to minutes) would wait unseen in the
 * pool's queue for another stream to finish (bench:stream, 1,000 streams to one target).
 */
const CONNECTIONS_PER_POOL = null
const KEEP_ALIVE_MS = 60_000
/** A pool unused for this long, with nothing in flight, is closed. */
export const POOL_IDLE_CLOSE_MS = 5 * 60_000
const PRUNE_EVERY_MS = 60_000

interface Entry {
  pool: Pool
  lastUsed: number
  /** Closed by prune: whoever still holds it must look again. */
  closed: boolean
}

/** A balancer peer's plain-http pool, as last looked up for these timeouts. */
interface PeerEntry {
  entry: Entry
  connectMs: number
  readMs: number
}

export class UpstreamPools {
  private readonly pools = new Map<string, Entry>()
  /** Per peer object (the balancer keeps them): no key string built per request. */
  private readonly byPeer = new WeakMap<object, PeerEntry>()
  private readonly timer: NodeJS.Timeout

  constructor(private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS)
    this.timer.unref()
  }

  get size(): number {
    return this.pools.size
  }

  /** The plain-http pool for a balancer peer, remembered on the peer object. */
  forPeer(peer: { readonly host: string; readonly port: number }, t: PoolTimeouts): Pool {
    const known = this.byPeer.get(peer)
    if (known && !known.entry.closed && known.connectMs === t.connectMs && known.readMs === t.readMs) {
      known.entry.lastUsed = this.now()
      return known.entry.pool
    }
    const pool = this.get(peer.host, peer.port, t)
    const entry = this.pools.get(this.keyOf(peer.host, peer.port, t))!
    this.byPeer.set(peer, { entry, connectMs: t.connectMs, readMs: t.readMs })
    return pool
  }

  private keyOf(host: string, port: number, t: PoolTimeouts, tls?: UpstreamTlsOptions): string {
    const hostPart = host.includes(':') ? `[${host}]` : host
    const origin = `${tls ? 'https' : 'http'}://${hostPart}:${port}`
    return tls
      ? `${origin}|${t.connectMs}|${t.readMs}|${tls.id}|${tls.connect.servername ?? ''}`
      : `${origin}|${t.connectMs}|${t.readMs}`
  }

  /** The pool for one address; with `tls`, an https pool for those TLS options and SNI. */
  get(host: string, port: number, t: PoolTimeouts, tls?: UpstreamTlsOptions): Pool {
    const key = this.keyOf(host, port, t, tls)
    const entry = this.pools.get(key)
    if (entry) {
      entry.lastUsed = this.now()
      return entry.pool
    }
    {
      const pool = new Pool(key.slice(0, key.indexOf('|')), {
        connections: CONNECTIONS_PER_POOL,
        connect: { ...tls?.connect, timeout: t.connectMs },
        headersTimeout: t.readMs,
        bodyTimeout: t.readMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
        // Pipelining would let one slow stream hold back the requests queued behind it.
        pipelining: 1,
      })
      this.pools.set(key, { pool, lastUsed: this.now(), closed: false })
      return pool
    }
  }

  /** Closes pools idle for POOL_IDLE_CLOSE_MS with no request running or queued. */
  async prune(): Promise<number> {
    const cutoff = this.now() - POOL_IDLE_CLOSE_MS
    const idle: Pool[] = []
    for (const [key, e] of this.pools) {
      const stats = e.pool.stats
      if (e.lastUsed <= cutoff && stats.running === 0 && stats.pending === 0) {
        this.pools.delete(key)
        e.closed = true
        idle.push(e.pool)
      }
    }
    await Promise.all(idle.map((p) => p.close().catch(() => {})))
    return idle.length
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    const all = [...this.pools.values()]
    for (const e of all) e.closed = true
    this.pools.clear()
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})))
  }
}

/** How an attempt failed, for retries, health counters and the client's status. */
export type FailureKind = 'connect' | 'timeout' | 'reset'

export function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === WRITE_TIMEOUT_CODE) {
    return 'timeout'
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN') {
    return 'connect'
  }
  return 'reset'
}
