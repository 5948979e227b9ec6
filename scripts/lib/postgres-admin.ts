// Creating and dropping a database on a Postgres server with the `psql` client, so the local
// cluster and the benchmark need no Postgres driver at the root (pg belongs to packages/db).
// The server's own `postgres` database is the maintenance connection.

import { spawnSync } from 'node:child_process'

/** The URL of the same server's `postgres` database, and the database the URL names. */
function split(databaseUrl: string): { maintenance: string; name: string } {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (!name) throw new Error(`database URL names no database: ${redact(databaseUrl)}`)
  url.pathname = '/postgres'
  return { maintenance: url.toString(), name }
}

export function redact(databaseUrl: string): string {
  return databaseUrl.replace(/(\/\/[^:/@]+:)[^@/]+@/, '$1***@')
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`

function psql(maintenanceUrl: string, sql: string): string {
  const r = spawnSync('psql', [maintenanceUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-tA', '-c', sql], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new Error(missing ? 'psql is not installed (apt-get install postgresql-client)' : r.error.message)
  }
  if (r.status !== 0) {
    throw new Error(
      `psql failed against ${redact(maintenanceUrl)}: ${r.stderr.trim()} ` +
        '(is Postgres running? `npm run services` starts the local one)'
    )
  }
  return r.stdout.trim()
}

/** Creates the database the URL names unless it exists; true when it was created. */
export function ensureDatabase(databaseUrl: string): boolean {
  const { maintenance, name } = split(databaseUrl)
  const exists = psql(maintenance, `select 1 from pg_database where datname = ${quoteLiteral(name)}`) === '1'
  if (exists) return false
  psql(maintenance, `create database ${quoteIdent(name)}`)
  return true
}

/** Drops the database the URL names, disconnecting its sessions (Postgres 13+). */
export function dropDatabase(databaseUrl: string): void {
  const { maintenance, name } = split(databaseUrl)
  psql(maintenance, `drop database if exists ${quoteIdent(name)} with (force)`)
}

/** The same server with another database name. */
export function withDatabase(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl)
  url.pathname = `/${encodeURIComponent(name)}`
  return url.toString()
}
