// `npm run fuzz`: the long Admin API fuzzing run. Options: --count N (default 20000),
// --seed N (default: from the clock, printed so a failure replays), --db postgres|pglite
// (default postgres: a fresh test database on the local server), --concurrency N (default 8;
// 1 replays a seed exactly, since with more the order of answers feeds later requests).
// Exits 1 on any problem.

import { createTestDatabase } from '@switchyard/test-kit'
import { parseArgs } from 'node:util'
// A script, not part of the control plane: it sets up a throw-away database with test-kit,
// which the apps may only use in tests.
import { summarize } from '../apps/control-plane/src/admin-fuzz/run.ts'
import { runFuzzSession } from '../apps/control-plane/src/admin-fuzz/session.ts'

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    seed: { type: 'string' },
    db: { type: 'string', default: 'postgres' },
    concurrency: { type: 'string', default: '8' },
  },
})
const count = Number(values.count)
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed)
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--count N] [--seed N] [--db postgres|pglite]')
  process.exit(2)
}
const database = values.db === 'pglite' ? undefined : await createTestDatabase()
const started = performance.now()
try {
  const r = await runFuzzSession({ databaseUrl: database?.url, count, seed, concurrency: Math.max(1, Number(values.concurrency) || 8) })
  console.log(summarize(r.report))
  console.log(`stored at the end ${JSON.stringify(r.stored)}; ${Math.round(performance.now() - started)} ms`)
  const problems = [...r.report.problems, ...r.consistency, ...r.logged]
  for (const p of problems.slice(0, 50)) console.log(`PROBLEM ${p}`)
  if (problems.length > 0) {
    console.log(`${problems.length} problems; replay with --seed ${seed} --count ${count} (--concurrency 1 to replay exactly)`)
    process.exitCode = 1
  }
} finally {
  await database?.drop()
}
