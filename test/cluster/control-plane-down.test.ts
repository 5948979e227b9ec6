// Fault: the control plane is SIGKILLed. Data planes keep proxying with the last config they
// applied; a data plane restarted while the control plane is down boots from its cache file
// and proxies; when the control plane returns, every data plane follows new writes again.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { TestCluster, querySql, sleep, startUpstream, waitFor, type UpstreamServer } from '@switchyard/test-kit'
import { ProxyLoad, proxiedRoute, proxyMany, stopBackgroundWork } from './fixtures.js'

const cluster = new TestCluster('control-plane-down')
const servers: UpstreamServer[] = []
let path = ''

before(async () => {
  servers.push(await startUpstream('a'), await startUpstream('b'), await startUpstream('c'))
  await cluster.start(3)
  path = (await proxiedRoute(cluster.admin, 'cpdown', servers.slice(0, 2))).path
})
after(async () => {
  await stopBackgroundWork()
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close()))
})

function cachedVersion(file: string): number | undefined {
  if (!existsSync(file)) return undefined
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: number }).version
  } catch {
    return undefined
  }
}

test('control plane killed: data planes keep proxying; a data plane restarted meanwhile boots from its cache file', { timeout: 40_000 }, async () => {
  const last = await cluster.waitForConvergence(3000)
  for (const dp of cluster.dataPlanes) {
    await waitFor(`${dp.name} cache file at version ${last.config_version}`, () => cachedVersion(dp.opts.cacheFile) === last.config_version, 3000)
  }

  // Proxy load on every data plane across the moment the control plane dies.
  const loads = cluster.dataPlanes.map((dp) => new ProxyLoad(dp.proxyUrl, path, 4).start())
  await sleep(300)
  await cluster.control.kill()
  await waitFor('every data plane to notice the control plane is gone', async () => {
    const all = await Promise.all(cluster.dataPlanes.map((dp) => dp.status()))
    return all.every((s) => !s.control_plane.reachable)
  }, 6000, { describe: () => cluster.describe() })
  // Keep the load on with the control plane gone until every data plane has served a good
  // number of requests (a count, not a duration: a loaded machine serves fewer per second).
  const served = loads.map((l) => l.total)
  await waitFor('every data plane to serve 100 more requests without the control plane', () => loads.every((l, i) => l.total - served[i]! > 100), 15_000)
  for (const l of loads) await l.stop()
  for (const [i, l] of loads.entries()) {
    const name = cluster.dataPlanes[i]!.name
    assert.equal(l.failed, 0, `${name}: ${l.failed} of ${l.total} requests failed: ${[...l.errors, ...l.badAnswers].join('; ')}`)
    assert.ok(l.total > 100, `${name} served ${l.total} requests`)
    assert.ok((l.byUpstream['a'] ?? 0) > 0 && (l.byUpstream['b'] ?? 0) > 0, `${name}: ${JSON.stringify(l.byUpstream)}`)
  }
  for (const dp of cluster.dataPlanes) {
    const s = await dp.status()
    assert.equal(s.config_hash, last.config_hash, `${dp.name} keeps the last config`)
    assert.equal(s.config_version, last.config_version)
  }

  // A data plane restarted (after a crash) while the control plane is down.
  const old = cluster.dataPlanes[2]!
  await old.kill()
  const restarted = await cluster.restartDataPlane(old)
  const boot = await restarted.proc.waitForLine('serving cached config', 1000)
  assert.equal(boot['version'], last.config_version)
  const s = await restarted.status()
  assert.equal(s.config_hash, last.config_hash, 'booted from the cache file')
  assert.equal(s.config_version, last.config_version)
  assert.equal(s.control_plane.reachable, false)
  const r = await proxyMany(restarted.proxyUrl, path, 20)
  assert.deepEqual(r.failures, [], 'the data plane booted from cache proxies')
  assert.ok((r.byUpstream['a'] ?? 0) > 0 && (r.byUpstream['b'] ?? 0) > 0, JSON.stringify(r.byUpstream))

  // The control plane returns: every data plane, the one booted from cache included, follows
  // a new write (the third server becomes a target).
  await cluster.restartControlPlane()
  await cluster.admin.ok('POST', '/upstreams/cpdown/targets', { target: servers[2]!.address, weight: 100 })
  const now = await cluster.waitForConvergence(3000)
  assert.ok(now.config_version > last.config_version)
  for (const dp of cluster.dataPlanes) {
    const got = await proxyMany(dp.proxyUrl, path, 30)
    assert.deepEqual(got.failures, [], dp.name)
    assert.ok((got.byUpstream['c'] ?? 0) > 0, `${dp.name} uses the new target: ${JSON.stringify(got.byUpstream)}`)
  }
  await waitFor(`${restarted.name} cache file to follow`, () => cachedVersion(restarted.opts.cacheFile) === now.config_version, 3000)
})

test('control plane killed inside a write: the write does not happen, no version is lost, and data planes still follow later writes', { timeout: 40_000 }, async () => {
  const db = cluster.db!.url
  // Fault injection: a target tagged 'stall-here' sleeps in its insert, so the control plane
  // can be killed with the write's transaction open (before its COMMIT was sent).
  await querySql(db, `
    create or replace function switchyard_test_stall() returns trigger language plpgsql as $$
    begin
      if new.tags @> array['stall-here'] then perform pg_sleep(1.5); end if;
      return new;
    end $$`)
  await querySql(db, `create or replace trigger switchyard_test_stall after insert on targets
    for each row execute function switchyard_test_stall()`)
  const before = await cluster.waitForConvergence(3000)

  const doomed = cluster.admin
    .request('POST', '/upstreams/cpdown/targets', { target: '127.0.0.1:9', weight: 1, tags: ['stall-here'] })
    .catch((err: unknown) => err)
  await waitFor('the write to stall inside its transaction', async () => {
    const rows = await querySql<{ n: string }>(db, `select count(*) as n from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`)
    return Number(rows[0]!.n) === 1
  }, 5000)
  await cluster.control.kill()
  assert.ok((await doomed) instanceof Error, 'the interrupted write got no answer')
  await cluster.restartControlPlane()

  // A real write after the restart; it waits for the dead transaction to roll back.
  const added = await cluster.admin.ok<{ id: string }>('POST', '/upstreams/cpdown/targets', { target: '127.0.0.1:10', weight: 1 })
  const page = await fetch(`${cluster.control.clusterUrl}/v1/events?after=${before.config_version}`, {
    headers: { authorization: `Bearer ${cluster.token}` },
  }).then((r) => r.json() as Promise<{ events: { version: number; id: string }[] }>)
  assert.deepEqual(
    page.events.map((e) => e.id),
    [added.id],
    'only the real write is in the outbox'
  )
  // Versions are given at commit (migration 0007): an open transaction holds none, so the
  // interrupted write leaves no hole for data planes to repair.
  assert.equal(page.events[0]!.version, before.config_version + 1, 'the next version went to the real write')

  const now = await cluster.waitForConvergence(3000)
  assert.equal(now.config_version, page.events[0]!.version)
  const listed = await cluster.admin.ok<{ data: { target: string }[] }>('GET', '/upstreams/cpdown/targets')
  assert.ok(!listed.data.some((t) => t.target === '127.0.0.1:9'), 'the interrupted write did not happen')
})
