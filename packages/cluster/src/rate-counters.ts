// Rate-limit counters in Redis, shared by every data plane that points at the same server.
// One script call per request increments each key and sets its expiry when the key is new,
// and answers the usage *before* this request (the count other nodes and earlier requests
// left). Connections are kept per distinct server/database/credentials and reused; commands
// are never queued while a server is away, so a caller learns at once that Redis is down
// and can apply its fault-tolerance rule instead of piling requests up.

import { Redis, type RedisOptions } from 'ioredis'

/** Where the counters live (the plugin's `config.redis`). */
export interface RedisCounterTarget {
  host: string
  port: number
  database: number
  username?: string | null
  /** Empty or null: no AUTH, as Kong does. */
  password?: string | null
  /** Connect and command timeout in ms; 0 or less leaves ioredis' defaults. */
  timeoutMs: number
  ssl?: boolean
  sslVerify?: boolean
  serverName?: string | null
}

/** One counter to bump, and how long it may live when it is created by this call (ms). */
export interface CounterIncrement {
  key: string
  ttlMs: number
}

/** Redis could not be asked: unreachable, timed out, or answered with an error. */
export class CounterStoreUnavailableError extends Error {
  override readonly name = 'CounterStoreUnavailableError'
}

// KEYS: counters; ARGV[i]: PEXPIRE milliseconds for KEYS[i]. The expiry is set only by the
// increment that creates the key, so later hits never extend a window.
const INCREMENT_SCRIPT = `
local prior = {}
for i = 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i]) end
  prior[i] = n - 1
end
return prior
`

/** Reconnect quickly: a returning Redis should count again within about a second. */
const retryStrategy = (times: number) => Math.min(100 * times, 1000)
const IDLE_CLOSE_MS = 5 * 60_000
const SWEEP_EVERY_MS = 60_000

type CounterClient = Redis & {
  switchyardIncrementCounters(numKeys: number, ...args: (string | number)[]): Promise<number[]>
}

class Connection {
  readonly redis: CounterClient
  lastUsed = Date.now()
  /** Why the connection is not usable right now; cleared when it is ready again. */
  failure: Error | undefined

  constructor(target: RedisCounterTarget) {
    const timeout = target.timeoutMs > 0 ? target.timeoutMs : undefined
    const options: RedisOptions = {
      host: target.host,
      port: target.port,
      db: target.database,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(timeout ? { connectTimeout: timeout, commandTimeout: timeout } : {}),
      ...(target.ssl
        ? { tls: { rejectUnauthorized: target.sslVerify === true, ...(target.serverName ? { servername: target.serverName } : {}) } }
        : {}),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy,
      lazyConnect: false,
    }
    const redis = new Redis(options)
    redis.defineCommand('switchyardIncrementCounters', { lua: INCREMENT_SCRIPT })
    this.redis = redis as CounterClient
    redis.on('ready', () => {
      this.failure = undefined
    })
    redis.on('error', (err: Error) => {
      this.failure = err
    })
    redis.on('close', () => {
      this.failure ??= new Error('connection closed')
    })
  }

  /** Resolves once ready; rejects on the first error or after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer)
        this.redis.off('ready', onReady)
        this.redis.off('error', onError)
        if (err) reject(err)
        else resolve()
      }
      const onReady = () => done()
      const onError = (err: Error) => done(err)
      const timer = setTimeout(() => {
        const err = new Error(`no connection within ${timeoutMs} ms`)
        this.broken(err)
        done(err)
      }, timeoutMs)
      this.redis.once('ready', onReady)
      this.redis.once('error', onError)
    })
  }

  /** Marks the connection unusable and makes ioredis start over (a hung server, a timeout). */
  broken(err: Error): void {
    this.failure = err
    if (this.redis.status === 'ready' || this.redis.status === 'connect' || this.redis.status === 'connecting') {
      this.redis.disconnect(true)
    }
  }
}

export interface RedisRateCountersOptions {
  /** How long the first request to a new server waits for its connection, when no timeout is configured. */
  defaultTimeoutMs?: number
}

export class RedisRateCounters {
  private readonly connections = new Map<string, Connection>()
  private readonly sweeper: NodeJS.Timeout
  private closed = false

  constructor(private readonly opts: RedisRateCountersOptions = {}) {
    this.sweeper = setInterval(() => this.closeIdle(Date.now() - IDLE_CLOSE_MS), SWEEP_EVERY_MS)
    this.sweeper.unref()
  }

  /** Number of open connections (one per distinct target). */
  get size(): number {
    return this.connections.size
  }

  private connection(target: RedisCounterTarget): Connection {
    const key = JSON.stringify([
      target.host,
      target.port,
      target.database,
      target.username ?? null,
      target.password || null,
      target.timeoutMs,
      target.ssl === true,
      target.sslVerify === true,
      target.serverName ?? null,
    ])
    let conn = this.connections.get(key)
    if (!conn) {
      conn = new Connection(target)
      this.connections.set(key, conn)
    }
    conn.lastUsed = Date.now()
    return conn
  }

  /**
   * Increments every key by one (creating it with its TTL when new) in one round trip and
   * returns each key's value before the increment. Rejects with CounterStoreUnavailableError
   * when the server cannot be asked; when a connection is known to be down this happens
   * without waiting.
   */
  async increment(target: RedisCounterTarget, counters: readonly CounterIncrement[]): Promise<number[]> {
    if (this.closed) throw new CounterStoreUnavailableError('counter store closed')
    if (counters.length === 0) return []
    const conn = this.connection(target)
    const where = `${target.host}:${target.port}/${target.database}`
    if (conn.redis.status !== 'ready') {
      // Known to be down: answer now; ioredis keeps reconnecting in the background.
      if (conn.failure) throw new CounterStoreUnavailableError(`redis ${where} unavailable: ${conn.failure.message}`)
      try {
        await conn.whenReady(target.timeoutMs > 0 ? target.timeoutMs : (this.opts.defaultTimeoutMs ?? 2000))
      } catch (err) {
        throw new CounterStoreUnavailableError(`redis ${where} unavailable: ${(err as Error).message}`)
      }
    }
    const args: (string | number)[] = counters.map((c) => c.key)
    for (const c of counters) args.push(Math.max(1, Math.ceil(c.ttlMs)))
    try {
      const prior = await conn.redis.switchyardIncrementCounters(counters.length, ...args)
      return prior.map(Number)
    } catch (err) {
      const e = err as Error
      // A timed-out command means a hung server: start over rather than wait on each request.
      if (/timed out/i.test(e.message)) conn.broken(e)
      throw new CounterStoreUnavailableError(`redis ${where} failed: ${e.message}`)
    }
  }

  private closeIdle(before: number): void {
    for (const [key, conn] of this.connections) {
      if (conn.lastUsed < before) {
        conn.redis.disconnect()
        this.connections.delete(key)
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.sweeper)
    for (const conn of this.connections.values()) conn.redis.disconnect()
    this.connections.clear()
  }
}
