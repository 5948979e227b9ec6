// One undici Pool per target address and timeout settings, kept alive across requests and
// config changes; idle pools of removed targets are closed by `prune`.

import { Pool } from 'undici'

export interface PoolTimeouts {
  connectMs: number
  readMs: number
}

/** Connections per target address; enough for streaming LLM responses to overlap. */
const CONNECTIONS_PER_POOL = 256
const KEEP_ALIVE_MS = 60_000

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>()

  get(host: string, port: number, t: PoolTimeouts): Pool {
    const hostPart = host.includes(':') ? `[${host}]` : host
    const origin = `http://${hostPart}:${port}`
    const key = `${origin}|${t.connectMs}|${t.readMs}`
    let pool = this.pools.get(key)
    if (!pool) {
      pool = new Pool(origin, {
        connections: CONNECTIONS_PER_POOL,
        connect: { timeout: t.connectMs },
        headersTimeout: t.readMs,
        bodyTimeout: t.readMs,
        keepAliveTimeout: KEEP_ALIVE_MS,
        // Pipelining would let one slow stream hold back the requests queued behind it.
        pipelining: 1,
      })
      this.pools.set(key, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(all.map((p) => p.destroy().catch(() => {})))
  }
}

/** How an attempt failed, for retries, health counters and the client's status. */
export type FailureKind = 'connect' | 'timeout' | 'reset'

export function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string }).code ?? ''
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return 'timeout'
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'EAI_AGAIN') {
    return 'connect'
  }
  return 'reset'
}
