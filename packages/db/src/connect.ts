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

export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
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

/** Connects to Postgres by URL and applies pending migrations. */
export async function connectPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize })
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {})
  const lockClient = await pool.connect()
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
    ping: () => ping(db),
    close: () => pool.end(),
  }
}

/** Opens PGlite in `dir` (in memory when undefined) and applies pending migrations. */
export async function connectPglite(dir?: string): Promise<Database> {
  const client = dir ? new PGlite(dir) : new PGlite()
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
