// The Admin API fuzzer's short seed set, on a real Postgres (a fresh database per run): a few
// fixed seeds, so a failure replays exactly with `npm run fuzz -- --seed N --count M`. The long
// run is `npm run fuzz`. Every answer must be a success or Kong's 4xx JSON, never a 5xx, a hang
// or a dropped connection, nothing may be logged as an error, and what is stored must still
// validate and read back.

import { createTestDatabase, type TestDatabase } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { summarize } from './run.js'
import { runFuzzSession } from './session.js'

const SEEDS = [1, 2, 3]
const PER_SEED = 500

let database: TestDatabase
before(async () => {
  database = await createTestDatabase()
})
after(async () => {
  await database?.drop()
})

for (const seed of SEEDS) {
  test(`seed ${seed}: ${PER_SEED} random and mutated requests, no 5xx, consistent database`, async () => {
    const r = await runFuzzSession({ databaseUrl: database.url, count: PER_SEED, seed })
    const summary = summarize(r.report)
    assert.deepEqual(r.report.problems, [], summary)
    assert.deepEqual(r.logged, [], summary)
    assert.deepEqual(r.consistency, [], summary)
    // The generator really covers what it claims to.
    assert.ok(r.report.tried >= PER_SEED)
    for (const enc of ['json', 'form', 'multipart'] as const) assert.ok(r.report.byEncoding[enc] > PER_SEED / 10, summary)
    assert.ok(r.report.randomPaths > 0 && r.report.randomQueries > 0, summary)
    const missed = Object.entries(r.report.byEndpoint).filter(([, n]) => n === 0)
    assert.ok(missed.length <= 3, `endpoints never tried: ${missed.map(([e]) => e).join(', ')}`)
    assert.ok((r.report.byStatus['201'] ?? 0) > 5, `few writes succeeded: ${summary}`)
  })
}
