// The data plane's health view over a ConfigState and a MemoryHealthStore: store flips reach the
// balancers only while the upstream's checks are enabled; config events (target, upstream,
// snapshot) never reset health; passive reports from real proxied responses eject a target after
// exactly its threshold; the backup tier takes over when every primary is unhealthy and hands
// back when one recovers.

import type { Entity } from '@switchyard/entities'
import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, test } from 'node:test'
import { ConfigState } from './config-state.js'
import { HealthView } from './health-view.js'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

const silent = createLogger({ level: 'silent' })
const PASSIVE_3 = { passive: { unhealthy: { http_failures: 3 } } }
const OFF = { passive: { unhealthy: { http_failures: 0 } } }

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

function available(state: ConfigState, upstreamId: string): Record<string, boolean> {
  const out: Record<string, boolean> = {}
  for (const p of state.upstreamById(upstreamId)!.balancer.peers()) out[p.target] = p.available
  return out
}

/** Lets a reload that was started by a config event (async store read) finish. */
const settle = () => new Promise((r) => setTimeout(r, 20))

async function viewOver(entities: { upstreams: Entity[]; targets: Entity[] }, store = new MemoryHealthStore()) {
  const state = new ConfigState({ now: () => 0, random: () => 0.5 })
  state.loadSnapshot(snapshotOf(entities, 1))
  const view = new HealthView(state, store, silent)
  await view.start()
  let version = 1
  const event = (entity: 'upstreams' | 'targets', payload: Entity, op: 'upsert' | 'delete' = 'upsert') =>
    state.apply({ version: ++version, entity, op, id: String(payload['id']), payload })
  cleanups.push(async () => {
    view.stop()
    await store.close()
  })
  return { state, store, view, event, nextVersion: () => ++version }
}

test('store flips apply to the balancer only while checks are enabled', async () => {
  const u = fx.upstream({ name: 'models.test' })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const b = fx.target(u, { target: '10.0.0.2:80' })
  const { state, store, event } = await viewOver({ upstreams: [u], targets: [a, b] })
  const id = String(u['id'])

  await store.set(id, '10.0.0.1:80', 'unhealthy')
  assert.deepEqual(available(state, id), { '10.0.0.1:80': true, '10.0.0.2:80': true }, 'checks off: the flip is not applied')

  event('upstreams', { ...u, healthchecks: PASSIVE_3 })
  assert.deepEqual(available(state, id), { '10.0.0.1:80': false, '10.0.0.2:80': true }, 'checks on: the known state applies at once')

  await store.set(id, '10.0.0.1:80', 'healthy')
  assert.equal(available(state, id)['10.0.0.1:80'], true)
  await store.set(id, '10.0.0.2:80', 'unhealthy')
  assert.deepEqual(available(state, id), { '10.0.0.1:80': true, '10.0.0.2:80': false })
})

test('turning checks off makes every target usable; turning them on again restores the shared state', async () => {
  const u = fx.upstream({ name: 'models.test', healthchecks: { active: { healthy: { interval: 5 } } } })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const b = fx.target(u, { target: '10.0.0.2:80' })
  const { state, store, event } = await viewOver({ upstreams: [u], targets: [a, b] })
  const id = String(u['id'])
  await store.set(id, '10.0.0.1:80', 'unhealthy')
  await store.set(id, '10.0.0.2:80', 'unhealthy')
  assert.deepEqual(available(state, id), { '10.0.0.1:80': false, '10.0.0.2:80': false })
  assert.equal(state.upstreamById(id)!.balancer.healthy, false)

  event('upstreams', { ...u, healthchecks: { active: { healthy: { interval: 0 } } } })
  assert.deepEqual(available(state, id), { '10.0.0.1:80': true, '10.0.0.2:80': true })
  assert.equal(state.upstreamById(id)!.balancer.healthy, true)

  event('upstreams', { ...u, healthchecks: PASSIVE_3 })
  assert.deepEqual(available(state, id), { '10.0.0.1:80': false, '10.0.0.2:80': false })
})

test('target, upstream and snapshot changes do not reset health', async () => {
  const u = fx.upstream({ name: 'models.test', healthchecks: PASSIVE_3 })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const b = fx.target(u, { target: '10.0.0.2:80' })
  const s = fx.service({ host: 'models.test' })
  const r = fx.route(s, { paths: ['/v1'] })
  const { state, store, event, nextVersion } = await viewOver({ upstreams: [u], targets: [a, b] })
  const id = String(u['id'])
  await store.set(id, '10.0.0.1:80', 'unhealthy')
  const sick = () => available(state, id)['10.0.0.1:80']

  event('targets', { ...b, weight: 7 })
  assert.equal(sick(), false, 'another target re-weighted')
  const c = fx.target(u, { target: '10.0.0.3:80' })
  event('targets', c)
  await settle()
  assert.equal(sick(), false, 'a target added')
  assert.equal(available(state, id)['10.0.0.3:80'], true, 'the new target starts healthy')
  event('upstreams', { ...u, slots: 200 })
  assert.equal(sick(), false, 'slots changed')
  event('upstreams', { ...u, algorithm: 'least-connections' })
  assert.equal(sick(), false, 'algorithm changed')
  event('upstreams', { ...u, algorithm: 'consistent-hashing', hash_on: 'ip' })
  assert.equal(sick(), false, 'switched to consistent hashing')
  event('targets', c, 'delete')
  assert.equal(sick(), false, 'a target removed')
  event('targets', { ...a, weight: 50 })
  assert.equal(sick(), false, 'its own weight changed')

  // The same address deleted and re-created under a new id keeps the address's state.
  event('targets', a, 'delete')
  const again = fx.target(u, { target: '10.0.0.1:80' })
  event('targets', again)
  await settle()
  assert.equal(sick(), false, 'deleted and re-created')

  // A full snapshot (a data plane's catch-up after a gap) reloads states from the store.
  state.loadSnapshot(snapshotOf({ upstreams: [{ ...u, slots: 300 }], targets: [again, b], services: [s], routes: [r] }, nextVersion()))
  await settle()
  assert.equal(sick(), false, 'snapshot reload')
  assert.equal(available(state, id)['10.0.0.2:80'], true)
})

test('an upstream created by an event picks up state the store already has', async () => {
  const u = fx.upstream({ name: 'late.test', healthchecks: PASSIVE_3 })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const id = String(u['id'])
  // Another node ejected it before this view started, so no flip reaches this view.
  const shared = new MemoryHealthStore()
  await shared.set(id, '10.0.0.1:80', 'unhealthy')
  const { state, event } = await viewOver({ upstreams: [], targets: [] }, shared)
  event('upstreams', u)
  event('targets', a)
  await settle()
  assert.deepEqual(available(state, id), { '10.0.0.1:80': false })
})

test('a flip that arrives before its upstream does not hide the other stored states', async () => {
  const u = fx.upstream({ name: 'early.test', healthchecks: PASSIVE_3 })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const b = fx.target(u, { target: '10.0.0.2:80' })
  const id = String(u['id'])
  const shared = new MemoryHealthStore()
  // a was ejected before this view started (no flip reaches it) ...
  await shared.set(id, '10.0.0.1:80', 'unhealthy')
  const { state, event, store } = await viewOver({ upstreams: [], targets: [] }, shared)
  // ... then b flips while this node does not know the upstream yet.
  await store.set(id, '10.0.0.2:80', 'unhealthy')
  event('upstreams', u)
  event('targets', a)
  event('targets', b)
  await settle()
  assert.deepEqual(available(state, id), { '10.0.0.1:80': false, '10.0.0.2:80': false })
})

// ---------------------------------------------------------------------------------------------
// Real proxied traffic: the proxy's onAttempt feeds view.record.

interface Proxied {
  proxy: TestProxy
  store: MemoryHealthStore
  view: HealthView
  upstreamId: string
  get(n: number): Promise<{ statuses: number[]; by: Record<string, number> }>
}

async function proxied(healthchecks: unknown, targets: { address: string; backup?: boolean }[]): Promise<Proxied> {
  const u = fx.upstream({ name: 'models.test', healthchecks })
  const ts = targets.map((t) => fx.target(u, { target: t.address, ...(t.backup ? { backup: true } : {}) }))
  // No retries: every request is exactly one attempt, so counts at the servers are exact.
  const s = fx.service({ host: 'models.test', retries: 0, connect_timeout: 1000 })
  const r = fx.route(s, { paths: ['/v1'] })
  const store = new MemoryHealthStore()
  let view: HealthView | undefined
  const proxy = await startTestProxy(snapshotOf({ upstreams: [u], targets: ts, services: [s], routes: [r] }), {
    onAttempt: (a) => view?.record(a),
  })
  view = new HealthView(proxy.state, store, silent)
  await view.start()
  const v = view
  cleanups.push(async () => {
    v.stop()
    await proxy.close()
    await store.close()
  })
  return {
    proxy,
    store,
    view: v,
    upstreamId: String(u['id']),
    async get(n) {
      const statuses: number[] = []
      const by: Record<string, number> = {}
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${proxy.url}/v1/chat`)
        await res.arrayBuffer()
        statuses.push(res.status)
        const name = res.headers.get('x-upstream') ?? `status ${res.status}`
        by[name] = (by[name] ?? 0) + 1
      }
      return { statuses, by }
    },
  }
}

async function servers(...specs: [string, number][]): Promise<UpstreamServer[]> {
  const out = await Promise.all(
    specs.map(([name, status]) =>
      startUpstream(name, (_req, res) => {
        res.writeHead(status, { 'x-upstream': name })
        res.end(name)
      })
    )
  )
  cleanups.push(async () => {
    await Promise.all(out.map((s) => s.close()))
  })
  return out
}

test('passive: a target answering 500 is ejected after exactly http_failures proxied failures', async () => {
  const [good, bad] = await servers(['good', 200], ['bad', 500])
  const p = await proxied(PASSIVE_3, [{ address: good!.address }, { address: bad!.address }])
  const { statuses, by } = await p.get(40)
  assert.equal(bad!.requests.length, 3, `requests that reached the failing target: ${JSON.stringify(by)}`)
  assert.equal(statuses.filter((s) => s === 500).length, 3)
  assert.equal(good!.requests.length, 37)
  assert.equal((await p.store.states(p.upstreamId)).get(bad!.address)?.status, 'unhealthy')
  assert.equal(p.view.statusOf(p.upstreamId, bad!.address), 'unhealthy')
})

test('passive: connection failures count as tcp_failures', async () => {
  const [good] = await servers(['good', 200])
  const refused = await closedPort()
  const p = await proxied({ passive: { unhealthy: { tcp_failures: 2 } } }, [{ address: good!.address }, { address: `127.0.0.1:${refused}` }])
  const { statuses } = await p.get(20)
  assert.equal(statuses.filter((s) => s === 502).length, 2, `statuses: ${statuses.join(',')}`)
  assert.equal(good!.requests.length, 18)
  assert.equal(p.view.statusOf(p.upstreamId, `127.0.0.1:${refused}`), 'unhealthy')
})

test('passive: with checks off, failures are neither counted nor applied', async () => {
  const [good, bad] = await servers(['good', 200], ['bad', 500])
  const p = await proxied(OFF, [{ address: good!.address }, { address: bad!.address }])
  await p.get(20)
  assert.equal(bad!.requests.length, 10, 'round-robin keeps sending to it')
  assert.equal((await p.store.states(p.upstreamId)).size, 0, 'nothing was reported')
})

test('passive: a success between failures resets the count when successes are counted', async () => {
  let failing = true
  const flappy = await startUpstream('flappy', (_req, res) => {
    res.writeHead(failing ? 500 : 200, { 'x-upstream': 'flappy' })
    res.end()
  })
  cleanups.push(() => flappy.close())
  const p = await proxied({ passive: { healthy: { successes: 1 }, unhealthy: { http_failures: 3 } } }, [{ address: flappy.address }])
  await p.get(2)
  failing = false
  await p.get(1)
  failing = true
  await p.get(2)
  assert.equal(p.view.statusOf(p.upstreamId, flappy.address), 'healthy', '2 failures, a success, 2 failures: never 3 in a row')
  await p.get(1)
  assert.equal(p.view.statusOf(p.upstreamId, flappy.address), 'unhealthy')
  assert.equal(flappy.requests.length, 6)
})

test('backup tier: takes over when every primary is unhealthy and hands back when one recovers', async () => {
  const [a, b, standby] = await servers(['a', 200], ['b', 200], ['standby', 200])
  const p = await proxied(PASSIVE_3, [{ address: a!.address }, { address: b!.address }, { address: standby!.address, backup: true }])

  let r = await p.get(10)
  assert.deepEqual(r.by, { a: 5, b: 5 }, 'the backup is idle while primaries are usable')

  await p.store.set(p.upstreamId, a!.address, 'unhealthy')
  r = await p.get(6)
  assert.deepEqual(r.by, { b: 6 }, 'one primary left: still no backup')

  await p.store.set(p.upstreamId, b!.address, 'unhealthy')
  r = await p.get(6)
  assert.deepEqual(r.by, { standby: 6 }, 'every primary unhealthy: the backup serves')

  await p.store.set(p.upstreamId, b!.address, 'healthy')
  r = await p.get(6)
  assert.deepEqual(r.by, { b: 6 }, 'a primary recovered: handed back')

  // A config change while on the backup does not reset anything either.
  await p.store.set(p.upstreamId, b!.address, 'unhealthy')
  const t = p.proxy.state.list('targets').find((x) => x['target'] === a!.address)!
  p.proxy.state.apply({ version: p.proxy.state.version + 1, entity: 'targets', op: 'upsert', id: String(t['id']), payload: { ...t, weight: 10 } })
  r = await p.get(4)
  assert.deepEqual(r.by, { standby: 4 })
})

async function closedPort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}
