// Shared health, the prober lease and AI balancing state through a Redis Sentinel URL
// (`redis+sentinel://…/master`), private master + replica + sentinel: the stores work through
// the sentinel and follow the promoted replica after the master is killed, without a restart.
// What the failover loses is what was written to the old master and not yet replicated.

import { budgetWindow } from '@switchyard/ai'
import { RedisAiStore, RedisHealthStore, RedisLease } from '@switchyard/health'
import { RedisSentinelSetup, redisCommand, waitFor } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'

let redis: RedisSentinelSetup

before(async () => {
  redis = await RedisSentinelSetup.start()
})
after(async () => {
  await redis?.cleanup()
})

test('health, lease and AI stores work through Sentinel and follow a failover', { timeout: 60_000 }, async () => {
  const health = new RedisHealthStore({ url: redis.url })
  const ai = new RedisAiStore({ url: redis.url })
  const lease = new RedisLease(redis.url)
  const flips: string[] = []
  const rings: string[] = []
  health.subscribe((c) => flips.push(`${c.target}:${c.status}`))
  ai.subscribe((u) => rings.push(u))
  const u = randomUUID()
  const t = { successes: 1, httpFailures: 1, tcpFailures: 1, timeouts: 1 }
  try {
    await waitFor('stores connected through the sentinel', async () => (await health.states(u)).size === 0, 10_000)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal((await health.report(u, 'a:1', 'http_failure', t)).status, 'unhealthy')
    await waitFor('the health doorbell', () => flips.includes('a:1:unhealthy'), 5000)
    assert.equal(await lease.acquire('probe:s', 'node-1', 5000), true)
    await ai.coolDown(u, 'a:1', Date.now() + 30_000, 'rate_limited')
    await waitFor('the AI doorbell', () => rings.includes(u), 5000)

    // Replication is asynchronous: what the replica has not received when the master dies is
    // lost (at most the last moments of writes). Wait for it, so the test checks the failover.
    await waitFor(
      'the replica to hold the state',
      async () =>
        (await redisCommand(redis.replica.port, ['EXISTS', `switchyard:ai:cd:${u}`])) === '1' &&
        (await redisCommand(redis.replica.port, ['EXISTS', `switchyard:health:${u}`])) === '1',
      5000
    )
    await redis.master.kill()
    await waitFor('the sentinel to promote the replica', async () => (await redis.masterPort()) === redis.replica.port, 20_000)
    // Writes go to the new master once the stores reconnect through the sentinel.
    await waitFor(
      'health reports accepted by the new master',
      async () => {
        try {
          return (await health.report(u, 'b:2', 'http_failure', t)).status === 'unhealthy'
        } catch {
          return false
        }
      },
      15_000
    )
    await waitFor('the health doorbell through the new master', () => flips.includes('b:2:unhealthy'), 10_000)
    const window = budgetWindow(Date.now()).start
    assert.equal((await ai.reserve(u, 'b:2', window, { rpm: 1, tpm: null }, 0)).ok, true)
    assert.equal((await ai.reserve(u, 'b:2', window, { rpm: 1, tpm: null }, 0)).ok, false)
    // State written before the failover survived it.
    assert.equal((await ai.states(u, Date.now())).get('a:1')?.cooldown?.reason, 'rate_limited')
    assert.equal((await health.states(u)).get('a:1')?.status, 'unhealthy')
  } finally {
    await health.close()
    await ai.close()
    await lease.close()
  }
})
