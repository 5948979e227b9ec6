// Fault: the control plane's database goes back in time or is replaced, while the data planes
// keep running. Versions restart (or repeat) with other content, so a data plane that trusted
// version numbers would stay on the old config forever, or end on the same version with another
// hash. Three cases, each under Admin API writes:
//  1. the database is dropped and recreated empty, the control plane restarted on it;
//  2. the control plane is restarted on another database;
//  3. an older dump is restored in place under the running control plane (same epoch).
// Each ends with every data plane's hash equal to the control plane's, every write answered
// 2xx since the change present in the database, and the data planes' epoch the database's.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ADMIN_PG_URL, TestCluster, createTestDatabase, querySql, type AdminClient, type TestDatabase } from '@switchyard/test-kit'
import { UpstreamWriter, stopBackgroundWork } from './fixtures.js'

const cluster = new TestCluster('db-recreated')
const extraDbs: TestDatabase[] = []

before(async () => {
  await cluster.start(3)
})
after(async () => {
  await stopBackgroundWork()
  await cluster.cleanup()
  await Promise.all(extraDbs.map((d) => d.drop().catch(() => {})))
})

async function upstreamNames(admin: AdminClient): Promise<Set<string>> {
  const names = new Set<string>()
  let path: string | null = '/upstreams?size=1000'
  for (let i = 0; path && i < 100; i++) {
    const page: { data: { name: string }[]; next: string | null } = await admin.ok('GET', path)
    for (const u of page.data) names.add(u.name)
    path = page.next
  }
  return names
}

/** Every data plane on the control plane's hash and epoch; every acknowledged write is stored. */
async function assertConverged(acked: string[]): Promise<void> {
  const want = await cluster.waitForConvergence(5000)
  const stored = await upstreamNames(cluster.admin)
  const missing = acked.filter((n) => !stored.has(n))
  assert.deepEqual(missing, [], 'every write answered 2xx is in the database')
  const { epoch } = (await querySql<{ epoch: string }>(cluster.db!.url, 'select epoch::text as epoch from cluster_epoch'))[0]!
  assert.equal(want.config_epoch, epoch, 'the control plane reports its database epoch')
  for (const dp of cluster.dataPlanes) {
    const s = await dp.status()
    assert.equal(s.config_hash, want.config_hash, dp.name)
    assert.equal(s.config_epoch, epoch, `${dp.name} follows the database's epoch`)
  }
}

/** Writes until the control plane's version is at least `version` (versions repeat with other content). */
async function writeUntilVersion(prefix: string, version: number): Promise<string[]> {
  const names: string[] = []
  for (let i = 0; i < 500 && (await cluster.control.status()).config_version < version; i++) {
    const name = `${prefix}-${i}`
    await cluster.admin.ok('POST', '/upstreams', { name })
    names.push(name)
  }
  return names
}

test('database dropped and recreated empty, control plane restarted: data planes reload and follow', { timeout: 60_000 }, async () => {
  const writer = new UpstreamWriter(() => cluster.admin, 'old').start()
  await writer.writes(30)
  await writer.stop()
  const old = await cluster.waitForConvergence(5000)

  // Recreate under running data planes, then writes again while the control plane comes back.
  await cluster.control.kill()
  await querySql(ADMIN_PG_URL, `drop database ${cluster.db!.name} with (force)`)
  await querySql(ADMIN_PG_URL, `create database ${cluster.db!.name}`)
  const after = new UpstreamWriter(() => cluster.admin, 'new').start()
  await cluster.restartControlPlane()
  await after.writes(10)
  await after.stop()
  // Past the old version: the same version numbers now name other content.
  const extra = await writeUntilVersion('more', old.config_version + 3)
  const now = await cluster.control.status()
  assert.ok(now.config_version > old.config_version)
  assert.notEqual(now.config_epoch, old.config_epoch)
  await assertConverged([...after.acked, ...extra])
  const stored = await upstreamNames(cluster.admin)
  assert.ok(![...stored].some((n) => n.startsWith('old-')), 'the recreated database has none of the old writes')
})

test('control plane restarted on another database with as many versions: data planes take its config', { timeout: 60_000 }, async () => {
  const before = await cluster.waitForConvergence(5000)
  const other = await createTestDatabase()
  await cluster.control.kill()
  await cluster.restartControlPlane({ databaseUrl: other.url })
  // The cluster's database is the other one from now on; the first is dropped in after().
  extraDbs.push(cluster.db!)
  cluster.db = other
  // The same version as before, other content: only the epoch tells them apart.
  const names = await writeUntilVersion('other', before.config_version)
  const now = await cluster.control.status()
  assert.equal(now.config_version, before.config_version)
  assert.notEqual(now.config_hash, before.config_hash)
  await assertConverged(names)
})

function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
  if (!versions[0]) throw new Error('no PostgreSQL client binaries under /usr/lib/postgresql')
  return join('/usr/lib/postgresql', versions[0], 'bin', name)
}

test('an older dump restored in place under the running control plane: versions go back, data planes follow', { timeout: 60_000 }, async () => {
  await cluster.waitForConvergence(5000)
  const url = cluster.db!.url
  const dump = spawnSync(pgBin('pg_dump'), ['--no-owner', '--no-privileges', url], { encoding: 'utf8', maxBuffer: 64 << 20 })
  assert.equal(dump.status, 0, dump.stderr)
  const dumpedVersion = (await querySql<{ n: string }>(url, 'select coalesce(max(version), 0) as n from config_events'))[0]!.n

  const writer = new UpstreamWriter(() => cluster.admin, 'lost').start()
  await writer.writes(20)
  await writer.stop()
  const ahead = await cluster.waitForConvergence(5000)
  assert.ok(ahead.config_version > Number(dumpedVersion))

  // Restore the dump under the running control plane, same epoch: into a side database first,
  // then swapped in (its connections are cut), so no heartbeat reads a half-restored database.
  const side = `${cluster.db!.name}_restore`
  await querySql(ADMIN_PG_URL, `create database ${side}`)
  const restore = spawnSync(pgBin('psql'), ['-q', '-v', 'ON_ERROR_STOP=1', url.replace(/\/[^/?]+(\?|$)/, `/${side}$1`)], {
    input: dump.stdout,
    encoding: 'utf8',
  })
  assert.equal(restore.status, 0, restore.stderr)
  await querySql(ADMIN_PG_URL, `drop database ${cluster.db!.name} with (force)`)
  await querySql(ADMIN_PG_URL, `alter database ${side} rename to ${cluster.db!.name}`)

  const writes = new UpstreamWriter(() => cluster.admin, 'restored').start()
  await writes.writes(10)
  await writes.stop()
  // Same epoch, fewer versions: the running control plane starts a new epoch at its next heartbeat.
  await cluster.control.proc.waitForLine('outbox versions went backwards; started a new cluster epoch', 5000)
  await assertConverged(writes.acked)
  const stored = await upstreamNames(cluster.admin)
  assert.ok(![...stored].some((n) => n.startsWith('lost-')), 'the restored database has none of the later writes')
})
