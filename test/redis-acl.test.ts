// The Redis ACL documented for data planes (deploy/redis/data-plane.acl) is enough for
// everything a data plane does with the cluster's Redis — config notices, shared health
// counters and doorbells, the prober lease, AI cooldowns, windows and budgets — and no more:
// it cannot read or write other keys, flush, or list keys. Run against a private redis-server.

import { RedisAiStore, RedisHealthStore, RedisLease } from '@switchyard/health'
import { NoticeSubscriber } from '@switchyard/cluster'
import { budgetWindow } from '@switchyard/ai'
import { RedisServerProcess, waitFor } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'

const ACL_FILE = new URL('../deploy/redis/data-plane.acl', import.meta.url)
let redis: RedisServerProcess

before(async () => {
  redis = await RedisServerProcess.start()
  // The file's one rule, with a test password in place of the placeholder.
  const rule = readFileSync(ACL_FILE, 'utf8').trim().split(/\s+/)
  assert.equal(rule[0], 'user')
  const args = rule.slice(2).map((t) => (t === '>change-me' ? '>dp-secret' : t))
  assert.equal(await redis.command('ACL', 'SETUSER', rule[1]!, ...args), 'OK')
})

after(async () => {
  await redis?.kill()
})

const url = () => `redis://switchyard-dp:dp-secret@127.0.0.1:${redis.port}`

test('a data plane user can do all a data plane does', { timeout: 20_000 }, async () => {
  const health = new RedisHealthStore({ url: url() })
  const ai = new RedisAiStore({ url: url() })
  const lease = new RedisLease(url())
  const rings: string[] = []
  const flips: string[] = []
  let notified = false
  const notices = new NoticeSubscriber(url(), { onNotice: () => {}, onReady: () => (notified = true) })
  health.subscribe((c) => flips.push(c.target))
  ai.subscribe((u) => rings.push(u))
  const u = randomUUID()
  try {
    await waitFor('config notices subscribed', () => notified, 5000)
    await new Promise((r) => setTimeout(r, 200))
    const thresholds = { successes: 1, httpFailures: 1, tcpFailures: 1, timeouts: 1 }
    assert.equal((await health.report(u, 'a:1', 'http_failure', thresholds)).status, 'unhealthy')
    await waitFor('the health doorbell', () => flips.length >= 1, 5000)
    await health.set(u, 'a:1', 'healthy')
    assert.equal((await health.states(u)).get('a:1')?.status, 'healthy')
    assert.equal(await lease.acquire('probe:x', 'node-1', 1000), true)
    await ai.coolDown(u, 'a:1', Date.now() + 5000, 'rate_limited')
    await ai.reportRemaining(u, 'a:1', { share: 0.5, until: Date.now() + 5000 })
    const window = budgetWindow(Date.now()).start
    assert.equal((await ai.reserve(u, 'a:1', window, { rpm: 5, tpm: 100 }, 10)).ok, true)
    await ai.settle(u, 'a:1', window, 10, 7, false)
    assert.deepEqual((await ai.usage(u, window)).get('a:1'), { requests: 1, tokens: 7, reserved: 0 })
    assert.equal((await ai.states(u, Date.now())).get('a:1')?.cooldown?.reason, 'rate_limited')
    await waitFor('AI doorbells', () => rings.includes(u), 5000)
    await ai.clear(u)
    await health.clear(u)
  } finally {
    await notices.close()
    await health.close()
    await ai.close()
    await lease.close()
  }
})

test('a data plane user cannot touch anything else', async () => {
  const deny = (...args: string[]) => assert.rejects(commandAs(args), /NOPERM|no permissions/i, args.join(' '))
  await deny('SET', 'switchyard:config:version', '1')
  await deny('GET', 'other:key')
  await deny('FLUSHALL')
  await deny('KEYS', '*')
  await deny('CONFIG', 'SET', 'requirepass', 'x')
})

/** One command authenticated as the data plane user, on one connection. */
async function commandAs(args: string[]): Promise<string> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url(), { maxRetriesPerRequest: 0, lazyConnect: true })
  try {
    await client.connect()
    return String(await client.call(args[0]!, ...args.slice(1)))
  } finally {
    client.disconnect()
  }
}
