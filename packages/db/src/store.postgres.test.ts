// Store.write on a real Postgres: versions given at commit (migration 0007) are dense, in commit
// order, consecutive within a write and reported back exactly; a failed write takes none. And
// the named statements (pg-statements.ts) read and write rows exactly as drizzle does.

import { createTestDatabase, type TestDatabase } from '@switchyard/test-kit'
import { ENTITIES, type Entity } from '@switchyard/entities'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { connectPostgres, type Database } from './connect.js'
import { EntityDao } from './entity-dao.js'
import { Store } from './store.js'
import { TABLES } from './tables.js'

let testDb: TestDatabase
let database: Database
let store: Store
let raw: pg.Pool

before(async () => {
  testDb = await createTestDatabase()
  database = await connectPostgres(testDb.url, { poolSize: 8 })
  store = new Store(database)
  raw = new pg.Pool({ connectionString: testDb.url, max: 2 })
})

after(async () => {
  await raw?.end()
  await database?.close()
  await testDb?.drop()
})

function upstream(name: string): Entity {
  return {
    id: randomUUID(),
    created_at: 1_700_000_000,
    updated_at: 1_700_000_000,
    name,
    algorithm: 'round-robin',
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_cookie_path: '/',
    slots: 10000,
    healthchecks: { active: { type: 'http', healthy: { interval: 0 } }, threshold: 0 },
    tags: ['a', 'b,c', 'q"uote'],
    use_srv_name: false,
    slow_start: 0,
  }
}

test('concurrent writes get dense versions in commit order, consecutive within a write, reported as stored', async () => {
  const head = await store.latestVersion()
  const writes = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      store.write(async (tx) => {
        // Two rows per write, with a pause between them so the writes interleave.
        const a = await store.daos.upstreams.insert(tx.q, upstream(`conc-${i}-a`))
        await tx.record('upstreams', 'upsert', a)
        await new Promise((r) => setTimeout(r, (i * 7) % 5))
        const b = await store.daos.upstreams.insert(tx.q, upstream(`conc-${i}-b`))
        await tx.record('upstreams', 'upsert', b)
        return [a['id'], b['id']]
      })
    )
  )
  const reported = new Map<string, number>()
  for (const w of writes) {
    assert.equal(w.events.length, 2)
    assert.equal(w.events[1]!.version, w.events[0]!.version + 1, 'one write, consecutive versions')
    for (const e of w.events) reported.set(e.id, e.version)
  }
  const rows = (await raw.query<{ version: string; entity_id: string }>('select version, entity_id from config_events where version > $1 order by version', [head])).rows
  assert.equal(rows.length, 80)
  rows.forEach((r, i) => {
    assert.equal(Number(r.version), head + 1 + i, 'dense')
    assert.equal(reported.get(r.entity_id), Number(r.version), 'the version the writer was told is the stored one')
  })
  // Commit order: a write's versions come after those of every write that committed before it
  // started its commit; here it is enough that the provisional rows are all gone.
  const provisional = await raw.query('select count(*)::int as n from config_events where version < 0')
  assert.equal(provisional.rows[0].n, 0)
})

test('a write that fails takes no version, and the next write gets the next one', async () => {
  const head = await store.latestVersion()
  await assert.rejects(
    store.write(async (tx) => {
      const a = await store.daos.upstreams.insert(tx.q, upstream('doomed'))
      await tx.record('upstreams', 'upsert', a)
      throw new Error('changed my mind')
    }),
    /changed my mind/
  )
  // A unique violation inside the write: mapped to Kong's error, rolled back.
  await assert.rejects(
    store.write(async (tx) => {
      await store.daos.upstreams.insert(tx.q, upstream('conc-0-a'))
    }),
    (err: Error) => err.name === 'DaoError' && /UNIQUE violation/.test(err.message)
  )
  const { events } = await store.write(async (tx) => {
    const a = await store.daos.upstreams.insert(tx.q, upstream('after-failures'))
    await tx.record('upstreams', 'upsert', a)
  })
  assert.equal(events[0]!.version, head + 1)
  assert.equal(await store.daos.upstreams.findBy(store.q, 'name', 'doomed'), undefined)
})

test('a write that records nothing commits and reports no events', async () => {
  const head = await store.latestVersion()
  const { result, events } = await store.write(async () => 42)
  assert.equal(result, 42)
  assert.deepEqual(events, [])
  assert.equal(await store.latestVersion(), head)
})

test('named statements read and write rows exactly as drizzle does', async () => {
  const dao = new EntityDao(ENTITIES.upstreams, TABLES.upstreams)
  const entity = upstream('named-statements')
  entity['ai'] = { signals: true, default_cooldown: 5, max_cooldown: 300, token_reservation: 256 }
  entity['slow_start'] = 1.5
  // Inserted through the pool (named statements), read back through a drizzle transaction
  // (PGlite's path), and the other way round.
  const inserted = await dao.insert(store.q, entity)
  const viaDrizzle = await database.db.transaction(async (q) => dao.findById(q as unknown as typeof store.q, String(entity['id'])))
  assert.deepEqual(inserted, viaDrizzle)
  assert.deepEqual(await dao.findById(store.q, String(entity['id'])), viaDrizzle)
  assert.deepEqual(await dao.findBy(store.q, 'name', 'named-statements'), viaDrizzle)

  const changed = { ...inserted, tags: null, healthchecks: null, slots: 20 }
  const updated = await dao.update(store.q, String(entity['id']), changed)
  assert.deepEqual(updated, await database.db.transaction(async (q) => dao.findById(q as unknown as typeof store.q, String(entity['id']))))
  assert.equal(updated!['slots'], 20)
  assert.equal(updated!['tags'], null)

  const deleted = await dao.delete(store.q, String(entity['id']))
  assert.deepEqual(deleted, updated)
  assert.equal(await dao.findById(store.q, String(entity['id'])), undefined)
  assert.equal(await dao.update(store.q, String(entity['id']), changed), undefined)
})
