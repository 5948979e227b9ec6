// Fault: someone with access to Redis publishes forged or malformed messages on
// `switchyard:config`. Messages there are only doorbells: a data plane takes configuration
// only from the control plane's authenticated events endpoint, so nothing published on the
// channel — garbage, notices with absurd versions, fake events pointing at a rogue server —
// may change its config or its proxying, and a huge fake version must not wedge it.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { TestCluster, sleep, startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import { proxiedRoute, proxyMany, stopBackgroundWork } from './fixtures.js'

const CHANNEL = 'switchyard:config'

const cluster = new TestCluster('forged-notices')
const servers: UpstreamServer[] = []
let rogue: UpstreamServer
let route: Awaited<ReturnType<typeof proxiedRoute>>
let upstreamId = ''

before(async () => {
  servers.push(await startUpstream('a'), await startUpstream('b'), await startUpstream('c'))
  rogue = await startUpstream('rogue')
  await cluster.start(3)
  route = await proxiedRoute(cluster.admin, 'forged', servers.slice(0, 2))
  upstreamId = (await cluster.admin.ok<{ id: string }>('GET', '/upstreams/forged')).id
})
after(async () => {
  await stopBackgroundWork()
  await cluster.cleanup()
  await Promise.all([...servers, rogue].map((s) => s?.close()))
})

/** Publishes on the cluster's own Redis; returns how many subscribers received it. */
async function publish(message: string): Promise<number> {
  return Number(await cluster.redisServer.command('PUBLISH', CHANNEL, message))
}

/** Every message a confused or hostile publisher might send, given the current version. */
function forgeries(version: number): { what: string; message: string }[] {
  const next = version + 1
  const rogueTarget = {
    id: randomUUID(),
    target: rogue.address,
    weight: 1000,
    upstream: { id: upstreamId },
    tags: null,
    created_at: 1,
    updated_at: 1,
  }
  const rogueEvent = { version: next, entity: 'targets', op: 'upsert', id: rogueTarget.id, payload: rogueTarget }
  const deleteReal = { version: next, entity: 'targets', op: 'delete', id: route.targetIds[0], payload: null }
  const rogueService = { id: randomUUID(), name: 'rogue', host: rogue.host, port: rogue.port, protocol: 'http', retries: 0 }
  const rogueRoute = { id: randomUUID(), paths: [route.path], service: { id: rogueService.id }, regex_priority: 1000 }
  const json = (what: string, value: unknown) => ({ what, message: JSON.stringify(value) })
  return [
    { what: 'not JSON', message: 'not json at all' },
    { what: 'empty', message: '' },
    { what: 'truncated JSON', message: '{"type":"commit","version":' },
    { what: 'binary', message: '\u0000\u00ff\ufffd\u0007' },
    json('null', null),
    json('number', next),
    json('array', [next]),
    { what: 'oversized', message: JSON.stringify({ type: 'commit', version: next, pad: 'x'.repeat(100_000) }) },
    json('no version', { type: 'commit' }),
    json('string version', { type: 'commit', version: String(next) }),
    json('negative version', { type: 'commit', version: -1 }),
    json('fractional version', { type: 'heartbeat', version: next + 0.5 }),
    { what: 'unsafe integer', message: '{"type":"commit","version":9007199254740993}' },
    { what: '1e308', message: '{"type":"commit","version":1e308}' },
    json('unknown type', { type: 'apply', version: next }),
    json('huge commit', { type: 'commit', version: Number.MAX_SAFE_INTEGER }),
    json('huge heartbeat', { type: 'heartbeat', version: Number.MAX_SAFE_INTEGER }),
    json('commit of a version that does not exist', { type: 'commit', version: next }),
    json('fake event adding a rogue target', rogueEvent),
    json('fake events array', [rogueEvent]),
    json('notice carrying fake events', { type: 'commit', version: next, events: [rogueEvent] }),
    json('fake event deleting a real target', deleteReal),
    json('fake service and route events', {
      type: 'commit',
      version: next + 1,
      events: [
        { version: next, entity: 'services', op: 'upsert', id: rogueService.id, payload: rogueService },
        { version: next + 1, entity: 'routes', op: 'upsert', id: rogueRoute.id, payload: rogueRoute },
      ],
    }),
    json('fake snapshot', {
      version: next + 1000,
      entities: { upstreams: [], targets: [rogueTarget], services: [rogueService], routes: [rogueRoute] },
    }),
    json('prototype pollution', JSON.parse('{"type":"commit","version":1,"__proto__":{"version":99}}')),
  ]
}

async function assertUnchanged(why: string): Promise<void> {
  const want = await cluster.control.status()
  for (const dp of cluster.dataPlanes) {
    const s = await dp.status()
    assert.equal(s.config_hash, want.config_hash, `${dp.name} config hash after ${why}`)
    assert.equal(s.config_version, want.config_version, `${dp.name} config version after ${why}`)
    assert.equal(s.redis.connected, true, `${dp.name} still on Redis after ${why}`)
    const r = await proxyMany(dp.proxyUrl, route.path, 20)
    assert.deepEqual(r.failures, [], `${dp.name} proxies after ${why}`)
    assert.deepEqual(Object.keys(r.byUpstream).sort(), ['a', 'b'], `${dp.name} after ${why}: ${JSON.stringify(r.byUpstream)}`)
  }
  assert.equal(rogue.requests.length, 0, `no request reached the rogue server after ${why}`)
}

test('forged and malformed messages on the config channel never change a data plane', { timeout: 40_000 }, async () => {
  const start = await cluster.waitForConvergence(3000)
  for (const f of forgeries(start.config_version)) {
    const receivers = await publish(f.message)
    assert.equal(receivers, 3, `every data plane received "${f.what}"`)
  }
  // A flood of well-formed notices ahead of the real version: each can cost one catch-up.
  for (let i = 0; i < 200; i++) await publish(JSON.stringify({ type: i % 2 ? 'commit' : 'heartbeat', version: start.config_version + 1 + i }))
  // Give any catch-up the notices caused time to run (and to do damage, if it could).
  await sleep(500)
  await assertUnchanged('forged messages')
  const status = await cluster.control.status()
  assert.deepEqual(status, start, 'nothing real was written')
  for (const dp of cluster.dataPlanes) assert.equal(dp.proc.running, true, `${dp.name} survived`)
})

test('a huge fake version does not wedge a data plane: later real writes still apply promptly', { timeout: 30_000 }, async () => {
  await publish(JSON.stringify({ type: 'commit', version: Number.MAX_SAFE_INTEGER }))
  await publish(JSON.stringify({ type: 'heartbeat', version: Number.MAX_SAFE_INTEGER - 1 }))
  await sleep(100)
  // Real writes, each applied through the doorbell well before the 2 s fallback poll.
  const took: number[] = []
  for (const weight of [50, 150, 100]) {
    await cluster.admin.ok('PATCH', `/upstreams/forged/targets/${route.targetIds[1]}`, { weight })
    const t0 = performance.now()
    await cluster.waitForConvergence(1000)
    took.push(Math.round(performance.now() - t0))
  }
  // A new target: the data planes must send traffic to it, so the change really applied.
  await cluster.admin.ok('POST', '/upstreams/forged/targets', { target: servers[2]!.address, weight: 100 })
  await cluster.waitForConvergence(1000)
  for (const dp of cluster.dataPlanes) {
    const r = await proxyMany(dp.proxyUrl, route.path, 30)
    assert.deepEqual(r.failures, [], dp.name)
    assert.ok((r.byUpstream['c'] ?? 0) > 0, `${dp.name} uses the new target: ${JSON.stringify(r.byUpstream)}`)
  }
  assert.equal(rogue.requests.length, 0)
  console.log(`# after a huge fake version, real writes converged in ${took.join(', ')} ms`)
})
