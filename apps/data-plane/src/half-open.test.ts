// Half-open recovery over a real proxy: a passive-only upstream ejects a failing target; after
// the cooldown one trial decides — failure keeps it out, success brings it back for everyone.

import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import { startUpstream } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { HalfOpen } from './half-open.js'
import { HealthView } from './health-view.js'
import { fx, snapshotOf, startTestProxy } from './test-fixtures.js'

const log = createLogger({ level: 'silent' })
const cleanups: (() => Promise<void> | void)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

test('an ejected passive-only target gets a trial after the cooldown and recovers on success', async () => {
  let failing = true
  const flaky = await startUpstream('flaky', (_req, res) => {
    res.statusCode = failing ? 500 : 200
    res.end(failing ? 'down' : 'flaky')
  })
  const steady = await startUpstream('steady')
  cleanups.push(() => flaky.close(), () => steady.close())
  const u = fx.upstream({
    name: 'models.test',
    healthchecks: { passive: { unhealthy: { http_failures: 2 }, healthy: { successes: 1 } } },
  })
  const t1 = fx.target(u, { target: flaky.address })
  const t2 = fx.target(u, { target: steady.address })
  const s = fx.service({ host: 'models.test', retries: 0 })
  const r = fx.route(s, { paths: ['/'] })
  const store = new MemoryHealthStore()
  let clock = 0
  let view!: HealthView
  let halfOpen!: HalfOpen
  const p = await startTestProxy(snapshotOf({ upstreams: [u], targets: [t1, t2], services: [s], routes: [r] }), {
    onAttempt: (a) => {
      view.record(a)
      halfOpen.record(a)
    },
  })
  cleanups.push(() => p.close())
  view = new HealthView(p.state, store, log)
  await view.start()
  halfOpen = new HalfOpen({ state: p.state, store, log, cooldownMs: 1000, now: () => clock })
  halfOpen.start()
  cleanups.push(() => halfOpen.stop(), () => view.stop())

  const hit = async () => (await fetch(`${p.url}/x`)).text()
  // Round-robin alternates: two 500s from the flaky target eject it.
  for (let i = 0; i < 4; i++) await hit()
  await new Promise((r) => setTimeout(r, 20))
  assert.equal((await store.states(String(u['id']))).get(flaky.address)?.status, 'unhealthy')
  for (let i = 0; i < 4; i++) assert.equal(await hit(), 'steady')

  // Before the cooldown nothing changes; after it, a trial that fails ejects it again.
  halfOpen.tick()
  assert.equal(p.state.upstreamById(String(u['id']))!.balancer.peer(flaky.address)!.available, false)
  clock = 1000
  halfOpen.tick()
  const bodies = [await hit(), await hit()]
  assert.ok(bodies.includes('down'), 'one trial request reached the target')
  assert.equal(p.state.upstreamById(String(u['id']))!.balancer.peer(flaky.address)!.available, false)

  // Next cooldown: the target works again, the trial succeeds, it is healthy in the store.
  failing = false
  clock = 2500
  halfOpen.tick()
  const later = [await hit(), await hit()]
  assert.ok(later.includes('flaky'))
  await new Promise((r) => setTimeout(r, 20))
  assert.equal((await store.states(String(u['id']))).get(flaky.address)?.status, 'healthy')
  const counts = { flaky: 0, steady: 0 } as Record<string, number>
  for (let i = 0; i < 6; i++) counts[await hit()]!++
  assert.equal(counts['flaky'], 3)
  assert.equal(counts['steady'], 3)
})

test('a cooldown of 0 leaves ejected targets out (Kong behaviour)', async () => {
  const u = fx.upstream({ name: 'x.test', healthchecks: { passive: { unhealthy: { http_failures: 1 } } } })
  const t = fx.target(u, { target: '127.0.0.1:9' })
  const p = await startTestProxy(snapshotOf({ upstreams: [u], targets: [t] }))
  cleanups.push(() => p.close())
  const store = new MemoryHealthStore()
  const view = new HealthView(p.state, store, log)
  await view.start()
  const halfOpen = new HalfOpen({ state: p.state, store, log, cooldownMs: 0, now: () => 1e9 })
  halfOpen.start()
  await store.set(String(u['id']), '127.0.0.1:9', 'unhealthy')
  halfOpen.tick()
  assert.equal(p.state.upstreamById(String(u['id']))!.balancer.peer('127.0.0.1:9')!.available, false)
  view.stop()
})
