// Redis high availability: REDIS_URL names a Redis Sentinel (`redis+sentinel://…/master`) in
// front of a master and a replica, all private processes. The master is SIGKILLed under Admin
// API writes: writes keep answering 2xx, the sentinel promotes the replica, the control plane's
// publisher and every data plane's subscription follow it without a restart, and the config
// converges with nothing lost.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import {
  AdminClient,
  ControlPlaneProcess,
  DataPlaneProcess,
  RedisSentinelSetup,
  createTestDatabase,
  redisCommand,
  waitFor,
  type TestDatabase,
} from '@switchyard/test-kit'
import { UpstreamWriter, startDataPlanes, stopBackgroundWork } from './fixtures.js'

let redis: RedisSentinelSetup
let db: TestDatabase
let cp: ControlPlaneProcess
const dps: DataPlaneProcess[] = []
const token = randomBytes(16).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-cluster-'))

before(async () => {
  ;[redis, db] = await Promise.all([RedisSentinelSetup.start(), createTestDatabase()])
  cp = await ControlPlaneProcess.start({ name: 'sentinel/cp', databaseUrl: db.url, redisUrl: redis.url, token })
  dps.push(...(await startDataPlanes('sentinel', 3, { controlPlane: cp.clusterAddress, redisUrl: redis.url, token, dir })))
})
after(async () => {
  await stopBackgroundWork()
  await Promise.all([cp?.kill(), ...dps.map((d) => d.kill())])
  await redis?.cleanup()
  await db?.drop().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

/** Subscribers to the config channel on the Redis server at `port`. */
async function subscribers(port: number): Promise<number> {
  // The sentinel's own hello subscription is not one of ours.
  const list = await redisCommand(port, ['CLIENT', 'LIST', 'TYPE', 'pubsub'])
  return list.split('\n').filter((l) => l.trim() !== '' && !l.includes('name=sentinel')).length
}

test('master killed under writes: the replica is promoted, publisher and subscribers follow, nothing is lost', { timeout: 60_000 }, async () => {
  await waitFor('every data plane subscribed through the sentinel', async () => (await subscribers(redis.master.port)) >= 3, 10_000)
  const admin = new AdminClient(cp.adminUrl)
  const writer = new UpstreamWriter(() => admin, 'ha').start()
  await writer.writes(20)

  await redis.master.kill()
  await waitFor('the sentinel to promote the replica', async () => (await redis.masterPort()) === redis.replica.port, 20_000)
  await waitFor('every data plane subscribed to the new master', async () => (await subscribers(redis.replica.port)) >= 3, 10_000, {
    describe: async () => (await redisCommand(redis.replica.port, ['CLIENT', 'LIST'])) + dps[0]!.proc.output(20),
  })
  await writer.writes(20)
  await writer.stop()
  assert.deepEqual(writer.refusals, [], 'Admin API writes do not depend on Redis')

  // A data plane's subscription can be counted on the new master a moment before its status
  // reports the connection ready.
  for (const d of dps) await waitFor(`${d.name} to report Redis connected`, async () => (await d.status()).redis.connected === true, 5000)
  await waitFor('data planes converged', async () => {
    const want = await cp.status()
    const got = await Promise.all(dps.map((d) => d.status()))
    return got.every((s) => s.config_hash === want.config_hash)
  }, 5000)
  const stored = new Set(
    (await admin.ok<{ data: { name: string }[] }>('GET', '/upstreams?size=1000')).data.map((u) => u.name)
  )
  assert.deepEqual(writer.acked.filter((n) => !stored.has(n)), [])

  // The doorbell works through the new master: a write reaches every data plane sooner than
  // the 2 s fallback poll would bring it.
  for (let i = 0; i < 3; i++) {
    await admin.ok('POST', '/upstreams', { name: `after-failover-${i}` })
    const t0 = performance.now()
    await waitFor('the write on every data plane', async () => {
      const want = await cp.status()
      const got = await Promise.all(dps.map((d) => d.status()))
      return got.every((s) => s.config_version === want.config_version)
    }, 5000, { intervalMs: 5 })
    const took = performance.now() - t0
    assert.ok(took < 1500, `took ${Math.round(took)} ms; the new master's clients:\n${await redisCommand(redis.replica.port, ['CLIENT', 'LIST'])}`)
  }
})
