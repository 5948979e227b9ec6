// Fault: Redis goes away in the middle of a burst of admin writes. The cluster has its own
// redis-server (the machine's shared one is never touched), so the outage is real: first every
// client connection is killed (CLIENT KILL), then the server itself is SIGKILLed and restarted
// on the same port. Admin writes during the outage must answer 2xx, data planes must keep
// proxying, and every data plane must be caught up within 1 s of Redis returning.

import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { TestCluster, sleep, startUpstream, waitFor, type UpstreamServer } from '@switchyard/test-kit'
import { BackgroundWriter, proxiedRoute, proxyMany, stopBackgroundWork } from './fixtures.js'

const CATCH_UP_MS = 1000
/** Long enough for the clients' reconnect backoff to grow well past its first steps. */
const OUTAGE_MS = 4000

const cluster = new TestCluster('redis-outage')
const servers: UpstreamServer[] = []
let path = ''

before(async () => {
  servers.push(await startUpstream('a'), await startUpstream('b'))
  await cluster.start(3)
  path = (await proxiedRoute(cluster.admin, 'outage', servers)).path
  await cluster.waitForConvergence(3000)
})
after(async () => {
  await stopBackgroundWork()
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close()))
})

function subscribedCount(i: number): number {
  return cluster.dataPlanes[i]!.proc.lines.filter((l) => l.msg === 'subscribed to config notices').length
}

test('all Redis clients killed mid-burst: every data plane resubscribes and catches up', { timeout: 30_000 }, async () => {
  const writer = new BackgroundWriter(cluster.admin, 'scratch-client-kill')
  await writer.start()
  await writer.waitForWrites(40)
  const subscribedBefore = cluster.dataPlanes.map((_, i) => subscribedCount(i))

  const pubsub = Number(await cluster.redisServer.command('CLIENT', 'KILL', 'TYPE', 'pubsub'))
  const normal = Number(await cluster.redisServer.command('CLIENT', 'KILL', 'TYPE', 'normal'))
  assert.ok(pubsub >= 3, `killed ${pubsub} subscriber connections (3 data planes)`)
  assert.ok(normal >= 1, `killed ${normal} normal connections (the control plane's publisher)`)

  await writer.waitForWrites(40)
  await writer.stop()
  assert.deepEqual(writer.failures, [], 'admin writes succeed while Redis clients reconnect')
  const stopped = performance.now()
  await cluster.waitForConvergence(CATCH_UP_MS)
  const ms = performance.now() - stopped

  // A real reconnect happened on every data plane, and they are back on Redis.
  await waitFor('every data plane to resubscribe', () => cluster.dataPlanes.every((_, i) => subscribedCount(i) > subscribedBefore[i]!), CATCH_UP_MS)
  for (const dp of cluster.dataPlanes) assert.equal((await dp.status()).redis.connected, true, dp.name)
  console.log(`# client kill: ${writer.count} writes; converged ${Math.round(ms)} ms after the last write`)
})

test('Redis server killed and restarted mid-burst: writes succeed during the outage, data planes catch up within 1 s of its return', { timeout: 30_000 }, async () => {
  const writer = new BackgroundWriter(cluster.admin, 'scratch-server-kill')
  await writer.start()
  await writer.waitForWrites(40)

  await cluster.redisServer.kill()
  const killedAt = performance.now()
  const writesAtKill = writer.count
  await waitFor('data planes to see Redis gone', async () => {
    const all = await Promise.all(cluster.dataPlanes.map((dp) => dp.status()))
    return all.every((s) => !s.redis.connected)
  }, 3000, { describe: () => cluster.describe() })

  // Data planes keep proxying with Redis down.
  for (const dp of cluster.dataPlanes) {
    const r = await proxyMany(dp.proxyUrl, path, 20)
    assert.deepEqual(r.failures, [], `${dp.name} proxies during the Redis outage`)
    assert.ok((r.byUpstream['a'] ?? 0) > 0 && (r.byUpstream['b'] ?? 0) > 0, `${dp.name}: ${JSON.stringify(r.byUpstream)}`)
  }

  const rest = OUTAGE_MS - (performance.now() - killedAt)
  if (rest > 0) await sleep(rest)
  const outageWrites = writer.count - writesAtKill
  assert.ok(outageWrites >= 20, `${outageWrites} admin writes during the outage`)
  assert.deepEqual(writer.failures, [], 'admin writes answer 2xx while Redis is down')

  // Redis returns while writes are still going on.
  await cluster.restartRedis()
  const returned = performance.now()
  const atReturn = await cluster.control.status()
  const caughtUp = await waitFor(
    `every data plane back on Redis and at version >= ${atReturn.config_version} within ${CATCH_UP_MS} ms`,
    async () => {
      const all = await Promise.all(cluster.dataPlanes.map((dp) => dp.status()))
      return all.every((s) => s.redis.connected && s.config_version >= atReturn.config_version) && performance.now()
    },
    CATCH_UP_MS - (performance.now() - returned),
    { intervalMs: 10, describe: () => cluster.describe() }
  )
  const catchUpMs = caughtUp - returned

  await writer.waitForWrites(40)
  await writer.stop()
  assert.deepEqual(writer.failures, [], 'admin writes answer 2xx after Redis returns')
  const stopped = performance.now()
  await cluster.waitForConvergence(CATCH_UP_MS)
  console.log(
    `# server kill: ${outageWrites} writes during a ${OUTAGE_MS} ms outage; data planes caught up ${Math.round(catchUpMs)} ms ` +
      `after Redis returned; converged ${Math.round(performance.now() - stopped)} ms after the last write`
  )
})
