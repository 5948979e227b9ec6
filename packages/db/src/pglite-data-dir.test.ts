// A new PGlite directory is created by a child process; the gateway then opens it like any
// existing one, with the small buffer pool of PGLITE_START_PARAMS.

import { sql } from 'drizzle-orm'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectPglite } from './connect.js'
import { ensurePgliteDataDir, isPgliteDataDir } from './pglite-data-dir.js'

test('a new data directory is initialised once, then opened with a 16 MB buffer pool', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-pglite-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  assert.equal(isPgliteDataDir(dir), false)

  await ensurePgliteDataDir(dir)
  assert.equal(isPgliteDataDir(dir), true)
  const version = statSync(join(dir, 'PG_VERSION')).mtimeMs
  await ensurePgliteDataDir(dir)
  assert.equal(statSync(join(dir, 'PG_VERSION')).mtimeMs, version, 'an existing directory is left alone')

  const database = await connectPglite(dir)
  // Db is typed over any Postgres driver, whose raw results differ; PGlite's carry `rows`.
  const rows = async (query: ReturnType<typeof sql>) => ((await database.db.execute(query)) as { rows: unknown[] }).rows
  try {
    assert.deepEqual(await rows(sql`show shared_buffers`), [{ shared_buffers: '16MB' }])
    const tables = sql`select count(*)::int as n from information_schema.tables where table_name = 'config_events'`
    assert.deepEqual(await rows(tables), [{ n: 1 }], 'migrations applied')
  } finally {
    await database.close()
  }
})

test('a directory path that does not exist yet is created', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'switchyard-pglite-'))
  t.after(() => rmSync(parent, { recursive: true, force: true }))
  const dir = join(parent, 'nested', 'data')
  await ensurePgliteDataDir(dir)
  assert.equal(isPgliteDataDir(dir), true)
})
