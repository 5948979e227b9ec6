// One OriginPool per target address, TLS options and timeout settings, kept alive across
// requests and config changes; pools nobody used for a while (removed targets, mostly) are
// closed by `prune`, which runs every minute. Read timeouts are one IdleSweep per distinct
// read_timeout, shared by every pool using it; idle keep-alive connections are expired by one
// timer for all pools.

import { IdleSweep } from './idle-sweep.js'
import { OriginPool } from './origin-pool.js'
import { UPSTREAM_ERROR } from './upstream-connection.js'
import { WRITE_TIMEOUT_CODE } from './upstream-body.js'
import type { UpstreamTlsOptions } from './upstream-tls.js'

export interface PoolTimeouts {
  connectMs: number
  readMs: number
}

/** A pool unused for this long, with nothing in flight, is closed. */
export const POOL_IDLE_CLOSE_MS = 5 * 60_000
const PRUNE_EVERY_MS = 60_000
const EXPIRE_IDLE_EVERY_MS = 500

interface Entry {
  pool: OriginPool
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
  private readonly sweeps = new Map<number, IdleSweep>()
  private readonly timer: NodeJS.Timeout
  private readonly idleTimer: NodeJS.Timeout

  constructor(private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS)
    this.timer.unref()
    this.idleTimer = setInterval(() => {
      for (const e of this.pools.values()) e.pool.expireIdle()
    }, EXPIRE_IDLE_EVERY_MS)
    this.idleTimer.unref()
  }

  get size(): number {
    return this.pools.size
  }

  /** The plain-http pool for a balancer peer, remembered on the peer object. */
  forPeer(peer: { readonly host: string; readonly port: number }, t: PoolTimeouts): OriginPool {
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
  get(host: string, port: number, t: PoolTimeouts, tls?: UpstreamTlsOptions): OriginPool {
    const key = this.keyOf(host, port, t, tls)
    const entry = this.pools.get(key)
    if (entry) {
      entry.lastUsed = this.now()
      return entry.pool
    }
    const pool = new OriginPool({ host, port, connectMs: t.connectMs, tls: tls?.connect }, this.sweepFor(t.readMs))
    this.pools.set(key, { pool, lastUsed: this.now(), closed: false })
    return pool
  }

  private sweepFor(readMs: number): IdleSweep | undefined {
    if (!(readMs > 0)) return undefined
    let sweep = this.sweeps.get(readMs)
    if (!sweep) {
      sweep = new IdleSweep(readMs)
      this.sweeps.set(readMs, sweep)
    }
    return sweep
  }

  /** Closes pools idle for POOL_IDLE_CLOSE_MS with no request running. */
  async prune(): Promise<number> {
    const cutoff = this.now() - POOL_IDLE_CLOSE_MS
    let closed = 0
    for (const [key, e] of this.pools) {
      if (e.lastUsed <= cutoff && e.pool.stats.running === 0) {
        this.pools.delete(key)
        e.closed = true
        e.pool.destroy()
        closed++
      }
    }
    return closed
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    clearInterval(this.idleTimer)
    const all = [...this.pools.values()]
    for (const e of all) e.closed = true
    this.pools.clear()
    for (const e of all) e.pool.destroy()
  }
}

/** How an attempt failed, for retries, health counters and the client's status. */
export type FailureKind = 'connect' | 'timeout' | 'reset'

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  UPSTREAM_ERROR.connectTimeout,
  UPSTREAM_ERROR.headersTimeout,
  UPSTREAM_ERROR.bodyTimeout,
  WRITE_TIMEOUT_CODE,
])
const CONNECT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])

export function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string }).code ?? ''
  if (TIMEOUT_CODES.has(code)) return 'timeout'
  if (CONNECT_CODES.has(code)) return 'connect'
  return 'reset'
}
