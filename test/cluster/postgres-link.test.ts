// The control plane's link to Postgres, against a private PostgreSQL started by this test (the
// shared server on 5432 is never touched): Kong's KONG_PG_SSL / _VERIFY / _REQUIRED with a
// generated certificate, and KONG_PG_TIMEOUT. Postgres stopped, then frozen, under Admin API
// writes: every write is answered (Kong's 500 database error body, never a hang), the nodes
// keep answering what they can, and everything recovers without a restart. Nothing is lost:
// every write answered 2xx is in the database and on every data plane.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import {
  AdminClient,
  ControlPlaneProcess,
  DataPlaneProcess,
  PostgresServer,
  RedisServerProcess,
  generateCert,
  querySql,
  sleep,
  spawnNode,
  waitFor,
} from '@switchyard/test-kit'
import { UpstreamWriter, startDataPlanes, stopBackgroundWork } from './fixtures.js'

const PG_TIMEOUT_MS = 1000
/** A fault answer may take the pool's connect timeout plus the query timeout, and some slack. */
const ANSWER_BOUND_MS = 2 * PG_TIMEOUT_MS + 1500

let pg: PostgresServer
let redis: RedisServerProcess
let dbUrl = ''
let cp: ControlPlaneProcess
const dps: DataPlaneProcess[] = []
const token = randomBytes(16).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'switchyard-pg-link-'))
const otherCa = generateCert()

function tlsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KONG_PG_SSL: 'on',
    KONG_PG_SSL_VERIFY: 'on',
    KONG_PG_SSL_REQUIRED: 'on',
    KONG_LUA_SSL_TRUSTED_CERTIFICATE: pg.cert.certFile,
    KONG_PG_TIMEOUT: String(PG_TIMEOUT_MS),
    ...extra,
  }
}

before(async () => {
  ;[pg, redis] = await Promise.all([PostgresServer.start({ ssl: true }), RedisServerProcess.start()])
  dbUrl = await pg.createDatabase('switchyard')
  cp = await ControlPlaneProcess.start({ name: 'pg-link/cp', databaseUrl: dbUrl, redisUrl: redis.url, token, env: tlsEnv() })
  dps.push(...(await startDataPlanes('pg-link', 2, { controlPlane: cp.clusterAddress, redisUrl: redis.url, token, dir })))
})
after(async () => {
  await stopBackgroundWork()
  await Promise.all([cp?.kill(), ...dps.map((d) => d.kill()), redis?.kill()])
  await pg?.cleanup()
  rmSync(dir, { recursive: true, force: true })
  rmSync(otherCa.dir, { recursive: true, force: true })
})

const admin = () => new AdminClient(cp.adminUrl)

async function converged(): Promise<void> {
  await waitFor('data planes on the control plane hash', async () => {
    const want = await cp.status()
    const got = await Promise.all(dps.map((d) => d.status()))
    return got.every((s) => s.config_hash === want.config_hash && s.config_version === want.config_version)
  }, 5000)
}

async function assertNothingLost(acked: string[]): Promise<void> {
  await converged()
  const rows = await querySql<{ name: string }>(dbUrl, 'select name from upstreams')
  const stored = new Set(rows.map((r) => r.name))
  assert.deepEqual(acked.filter((n) => !stored.has(n)), [], 'every write answered 2xx is stored')
}

test('KONG_PG_SSL with KONG_PG_SSL_VERIFY: the control plane talks TLS to Postgres, verified', async () => {
  const started = await cp.proc.waitForLine('control plane started', 1000)
  assert.equal(started['database_tls'], true)
  const rows = await querySql<{ ssl: boolean }>(
    pg.adminUrl,
    `select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.datname = 'switchyard'`
  )
  assert.ok(rows.length > 0 && rows.every((r) => r.ssl), JSON.stringify(rows))
})

test('KONG_PG_SSL_VERIFY refuses a server whose certificate is not trusted', { timeout: 30_000 }, async () => {
  const bad = spawnNode('pg-link/bad-ca', 'apps/control-plane/src/main.ts', {
    KONG_ROLE: 'traditional',
    DATABASE_URL: dbUrl,
    KONG_ADMIN_LISTEN: 'off',
    ...tlsEnv({ KONG_LUA_SSL_TRUSTED_CERTIFICATE: otherCa.certFile }),
  })
  const exit = await bad.exited
  assert.notEqual(exit.code, 0)
  assert.match(bad.output(), /self-signed certificate|unable to verify|certificate/i)
})

async function outage(writer: UpstreamWriter): Promise<void> {
  const refusedBefore = writer.refusals.length
  await waitFor('writes refused during the outage', () => writer.refusals.length >= refusedBefore + 10, 10_000)
  // What does not need the database still answers.
  const root = await admin().request('GET', '/')
  assert.equal(root.status, 200)
  const status = await admin().request<{ database: { reachable: boolean } }>('GET', '/status')
  assert.equal(status.status, 200)
  assert.equal(status.body.database.reachable, false)
  // The cluster status answers from the last snapshot it built; data planes keep their config.
  assert.equal(typeof (await cp.status()).config_hash, 'string')
  for (const d of dps) assert.ok((await d.status()).config_version > 0)
}

test('Postgres stopped under writes: 500 database errors at once, reads that can go on do, recovery without restart', { timeout: 60_000 }, async () => {
  const writer = new UpstreamWriter(admin, 'stop').start()
  await writer.writes(20)
  await pg.stop()
  try {
    await outage(writer)
  } finally {
    if (!pg.proc?.running) await pg.run()
  }
  const ackedAfter = writer.acked.length
  await writer.writes(10)
  await writer.stop()
  assert.ok(writer.acked.length >= ackedAfter + 10)
  assert.ok(cp.proc.running, 'the control plane was not restarted')

  for (const r of writer.refusals) {
    assert.equal(r.status, 500, JSON.stringify(r))
    assert.deepEqual(r.body, { message: 'An unexpected error occurred' })
    assert.ok(r.ms < ANSWER_BOUND_MS, `answered after ${Math.round(r.ms)} ms`)
  }
  await assertNothingLost(writer.acked)
})

test('Postgres frozen (SIGSTOP) under writes: every write answered within the timeout, none hangs', { timeout: 60_000 }, async () => {
  const writer = new UpstreamWriter(admin, 'freeze').start()
  await writer.writes(20)
  const pids = pg.freeze()
  let thawed = false
  try {
    await waitFor('writes refused while frozen', () => writer.refusals.length >= 6, 15_000)
    const status = await admin().request<{ database: { reachable: boolean } }>('GET', '/status')
    assert.equal(status.body.database.reachable, false)
  } finally {
    pg.thaw(pids)
    thawed = true
  }
  assert.ok(thawed)
  const ackedAfter = writer.acked.length
  await writer.writes(10)
  await writer.stop()
  assert.ok(writer.acked.length >= ackedAfter + 10, 'recovered without a restart')
  for (const r of writer.refusals) {
    assert.equal(r.status, 500, JSON.stringify(r))
    assert.deepEqual(r.body, { message: 'An unexpected error occurred' })
    assert.ok(r.ms < ANSWER_BOUND_MS, `answered after ${Math.round(r.ms)} ms`)
  }
  await sleep(200)
  await assertNothingLost(writer.acked)
})

test('a server without TLS: refused with KONG_PG_SSL_REQUIRED, used in plain without it', { timeout: 60_000 }, async () => {
  await Promise.all(dps.map((d) => d.kill()))
  await cp.kill()
  await pg.stop()
  await pg.run({ ssl: false })
  const required = spawnNode('pg-link/required', 'apps/control-plane/src/main.ts', {
    KONG_ROLE: 'traditional',
    DATABASE_URL: dbUrl,
    KONG_ADMIN_LISTEN: 'off',
    ...tlsEnv(),
  })
  const exit = await required.exited
  assert.notEqual(exit.code, 0)
  assert.match(required.output(), /does not support SSL/)

  cp = await ControlPlaneProcess.start({
    name: 'pg-link/cp-plain',
    databaseUrl: dbUrl,
    redisUrl: redis.url,
    token,
    env: tlsEnv({ KONG_PG_SSL_REQUIRED: 'off' }),
  })
  const started = await cp.proc.waitForLine('control plane started', 1000)
  assert.equal(started['database_tls'], false)
  await admin().ok('POST', '/upstreams', { name: 'plain-ok' })
})
