// Creates an embedded Postgres data directory in a short-lived child process.
//
// PGlite runs initdb inside the opening process: a second Postgres instance plus initdb's own
// WebAssembly module, whose memories (several hundred MB) stay reachable after initdb ends, so a
// gateway started on an empty ./.data kept ~850 MB resident for its whole life against ~400 MB
// when it opened an existing directory. Run in a child, initdb's memory goes back to the system
// when the child exits and the gateway opens a ready directory like on every later start.

import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** True when `dir` already holds a Postgres cluster (initdb writes PG_VERSION). */
export function isPgliteDataDir(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'))
}

/** Makes `dir` a Postgres data directory unless it is one already. */
export async function ensurePgliteDataDir(dir: string): Promise<void> {
  if (isPgliteDataDir(dir)) return
  mkdirSync(dir, { recursive: true })
  // The child imports PGlite by the URL this package resolves, so it needs no loader and no
  // file of its own: the same code runs from sources (tsx) and from the compiled build.
  const pglite = import.meta.resolve('@electric-sql/pglite')
  const script = [
    `const { PGlite } = await import(${JSON.stringify(pglite)})`,
    'const db = new PGlite(process.argv[1])',
    'await db.waitReady',
    'await db.close()',
  ].join('\n')
  await run(process.execPath, ['--input-type=module', '-e', script, dir], { maxBuffer: 16 * 1024 * 1024 })
}
