// Opens the database: node-postgres for a real server, PGlite (embedded Postgres) otherwise.
// Both give a drizzle PgDatabase, so every DAO runs unchanged on either. Migrations are
// applied here, at open, under an advisory lock so several control planes can start at once.

import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { ensurePgliteDataDir } from './pglite-data-dir.js'

export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
  /** Postgres: whether the connections use TLS. */
  tls?: boolean
  /** Postgres: the pool, for writers that drive their own transaction (Store.write). */
  pool?: pg.Pool
  /** True when a trivial query succeeds. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url))
// Any constant works; it only has to be the same for every control plane.
const MIGRATION_LOCK_KEY = 727_001

async function ping(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`)
    return true
  } catch {
    return false
  }
}

/** How the control plane talks to Postgres: Kong's pg_ssl*, pg_timeout, pool settings. */
export interface PostgresOptions {
  /** Kong's pg_ssl: ask for TLS. */
  ssl?: boolean
  /** Kong's pg_ssl_required: refuse a server without TLS instead of falling back to plain. */
  sslRequired?: boolean
  /** Kong's pg_ssl_verify: verify the server certificate (chain and host name). */
  sslVerify?: boolean
  /** PEM certificates trusted for sslVerify (Kong's lua_ssl_trusted_certificate); system CAs when undefined. */
  sslCa?: string | undefined
  /**
   * Kong's pg_timeout (ms): connecting, and each query. A dead or frozen database makes a
   * request fail after this long instead of hanging.
   */
  timeoutMs?: number
  /** Kong's pg_pool_size. */
  poolSize?: number
  /** Kong's pg_keepalive_timeout (ms): how long an idle connection stays in the pool. */
  idleTimeoutMs?: number
}

const DEFAULT_PG_TIMEOUT_MS = 5000

function poolConfig(url: string, opts: PostgresOptions, tls: boolean): pg.PoolConfig {
  const timeout = opts.timeoutMs ?? DEFAULT_PG_TIMEOUT_MS
  return {
    connectionString: url,
    max: opts.poolSize ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 60_000,
    connectionTimeoutMillis: timeout,
    // Client side: a query on a connection that stopped answering gives up after this long.
    query_timeout: timeout,
    // A connection whose peer vanished without a FIN is noticed by TCP keepalive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(tls
      ? {
          ssl: opts.sslVerify
            ? { rejectUnauthorized: true, ...(opts.sslCa ? { ca: opts.sslCa } : {}) }
            : { rejectUnauthorized: false },
        }
      : {}),
  }
}

/**
 * Keeps the control plane alive and its pool usable through database faults.
 *
 * node-postgres gives up on a query after `query_timeout` but keeps the connection, still
 * waiting for that answer; drizzle then hands it back to the pool and the next request queues
 * behind the dead query. Cutting the connection makes the pool drop it and open a fresh one,
 * so a database that comes back is used at once.
 */
function dropConnectionsOnTimeout(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    // A connection lost while checked out (Postgres stopped mid-transaction) emits 'error' on
    // its client, which the pool does not catch for busy clients: unhandled, it would kill the
    // process. The query in flight fails with the same error; that is what answers the request.
    client.on('error', () => {})
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    // Reassigning a method of node-postgres's overloaded signature: typed loosely on purpose.
    ;(client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const result = query(...args)
      if (result instanceof Promise) {
        result.catch((err: unknown) => {
          if (err instanceof Error && err.message === 'Query read timeout') {
            ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
          }
        })
      }
      return result
    }
  })
}

/** node-postgres's error when the server answers "no" to the TLS request. */
function isServerWithoutTls(err: unknown): boolean {
  return err instanceof Error && /does not support SSL/i.test(err.message)
}

/** Connects to Postgres by URL and applies pending migrations. */
export async function connectPostgres(url: string, opts: PostgresOptions = {}): Promise<Database> {
  let tls = opts.ssl === true
  let pool = new pg.Pool(poolConfig(url, opts, tls))
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {})
  dropConnectionsOnTimeout(pool)
  let lockClient: pg.PoolClient
  try {
    lockClient = await pool.connect()
  } catch (err) {
    await pool.end().catch(() => {})
    // pg_ssl on, pg_ssl_required off: as in Kong, a server without TLS is used without it.
    if (!tls || opts.sslRequired || !isServerWithoutTls(err)) throw err
    tls = false
    pool = new pg.Pool(poolConfig(url, opts, tls))
    pool.on('error', () => {})
    dropConnectionsOnTimeout(pool)
    lockClient = await pool.connect()
  }
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await migratePg(drizzlePg(lockClient), { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    lockClient.release()
  }
  const db = drizzlePg(pool) as unknown as Db
  return {
    db,
    kind: 'postgres',
    tls,
    pool,
    ping: () => ping(db),
    close: () => pool.end(),
  }
}

/**
 * PGlite's start parameters plus a small buffer pool. Postgres sizes shared_buffers at 128 MB
 * by default and PGlite's WebAssembly memory grows to hold it (190 MB, all resident); 16 MB keeps
 * the memory at its 128 MB floor. The gateway's configuration is a few thousand rows at most and
 * the files stay in the OS page cache, so a smaller pool costs nothing measurable
 * (bench/footprint.bench.ts prints the resident size).
 */
export const PGLITE_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB']

/** Opens PGlite in `dir` (in memory when undefined) and applies pending migrations. */
export async function connectPglite(dir?: string): Promise<Database> {
  // A new directory is created in a child process, so initdb's memory does not stay with us.
  if (dir) await ensurePgliteDataDir(dir)
  const options = { startParams: [...PGLITE_START_PARAMS] }
  const client = dir ? new PGlite(dir, options) : new PGlite(options)
  await client.waitReady
  const pdb = drizzlePglite(client)
  await migratePglite(pdb, { migrationsFolder: MIGRATIONS_FOLDER })
  const db = pdb as unknown as Db
  return {
    db,
    kind: 'pglite',
    ping: () => ping(db),
    close: () => client.close(),
  }
}

/** Builds a Postgres URL from Kong's KONG_PG_* settings. */
export function postgresUrlFromParts(parts: {
  host: string
  port: number
  user: string
  password?: string
  database: string
}): string {
  const auth = parts.password
    ? `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}`
    : encodeURIComponent(parts.user)
  return `postgres://${auth}@${parts.host}:${parts.port}/${encodeURIComponent(parts.database)}`
}
