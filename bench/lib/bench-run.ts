// What a cluster bench holds for its run: a fresh Postgres database (switchyard_bench_<random>)
// and a scratch directory, both removed on every way out (normal end, error, SIGINT/SIGTERM,
// the watchdog), with every started process killed first.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAllStarted } from '../../scripts/cluster.ts'
import { dropDatabase, ensureDatabase, withDatabase } from '../../scripts/lib/postgres-admin.ts'

export interface BenchRun {
  databaseUrl: string
  workDir: string
  /** Creates the database (dropped at the end from then on). */
  createDatabase(): void
  cleanupNow(): void
}

export function benchRun(pgUrl: string, watchdogMs: number, dirPrefix = 'switchyard-bench-'): BenchRun {
  const databaseUrl = withDatabase(pgUrl, `switchyard_bench_${randomBytes(5).toString('hex')}`)
  const workDir = mkdtempSync(join(tmpdir(), dirPrefix))
  let databaseCreated = false
  let cleanedUp = false
  const cleanupNow = (): void => {
    if (cleanedUp) return
    cleanedUp = true
    killAllStarted()
    rmSync(workDir, { recursive: true, force: true })
    if (!databaseCreated) return
    try {
      dropDatabase(databaseUrl)
    } catch (err) {
      console.error(`bench: could not drop the bench database: ${(err as Error).message}`)
    }
  }
  process.once('exit', cleanupNow)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanupNow()
      process.exit(130)
    })
  }
  setTimeout(() => {
    console.error(`bench: exceeded ${watchdogMs / 1000} s, stopping`)
    process.exit(1)
  }, watchdogMs).unref()
  return {
    databaseUrl,
    workDir,
    createDatabase: () => {
      ensureDatabase(databaseUrl)
      databaseCreated = true
    },
    cleanupNow,
  }
}
