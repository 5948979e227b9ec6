// A fresh Postgres database per test run on the local server (127.0.0.1:5432, user postgres
// by default, or TEST_PG_URL). Fails loudly when the server cannot be reached: tests that
// need Postgres never skip silently.

import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const ADMIN_PG_URL = process.env['TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

/** Creates an empty database named switchyard_test_<random>; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `switchyard_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_PG_URL })
  try {
    await admin.connect()
  } catch (err) {
    throw new Error(
      `Postgres is required for this test and is not reachable at ${ADMIN_PG_URL} ` +
        `(run scripts/services.sh): ${(err as Error).message}`
    )
  }
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(ADMIN_PG_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_PG_URL })
      await c.connect()
      try {
        await c.query(`drop database if exists ${name} with (force)`)
      } finally {
        await c.end()
      }
    },
  }
}
