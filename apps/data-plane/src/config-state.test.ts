// ConfigState applies snapshots and versioned events incrementally: a target change touches
// only its upstream's balancer, health flags survive, stale events are ignored, and the running
// config hash always equals a full recompute.

import { configHash, type ConfigEvent } from '@switchyard/cluster'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { ConfigState } from './config-state.js'
import { fx, snapshotOf } from './test-fixtures.js'

function setup() {
  const u = fx.upstream({ name: 'models.test' })
  const other = fx.upstream({ name: 'other.test' })
  const a = fx.target(u, { target: '10.0.0.1:80' })
  const b = fx.target(u, { target: '10.0.0.2:80' })
  const s = fx.service({ host: 'models.test' })
  const r = fx.route(s, { paths: ['/v1'] })
  const state = new ConfigState({ now: () => 0, random: () => 0.5 })
  state.loadSnapshot(snapshotOf({ upstreams: [u, other], targets: [a, b], services: [s], routes: [r] }, 10))
  return { state, u, other, a, b, s, r }
}

test('a target event updates its balancer in place and keeps health of the others', () => {
  const { state, u, a, b } = setup()
  const balancer = state.upstreamByName('models.test')!.balancer
  const otherBalancer = state.upstreamByName('other.test')!.balancer
  balancer.setHealth(String(a['id']), false)
  state.apply({ version: 11, entity: 'targets', op: 'upsert', id: String(b['id']), payload: { ...b, weight: 7 } })
  assert.equal(state.upstreamByName('models.test')!.balancer, balancer, 'same balancer object')
  assert.equal(state.upstreamByName('other.test')!.balancer, otherBalancer)
  assert.equal(balancer.peer(String(a['id']))!.available, false, 'health survived')
  assert.equal(balancer.peer(String(b['id']))!.weight, 7)
  const c = fx.target(u, { target: '10.0.0.3:80' })
  state.apply({ version: 12, entity: 'targets', op: 'upsert', id: String(c['id']), payload: c })
  assert.equal(balancer.peers().length, 3)
  state.apply({ version: 13, entity: 'targets', op: 'delete', id: String(c['id']), payload: c })
  assert.equal(balancer.peers().length, 2)
  assert.equal(state.version, 13)
})

test('events at or below the current version are ignored', () => {
  const { state, b } = setup()
  state.apply({ version: 10, entity: 'targets', op: 'upsert', id: String(b['id']), payload: { ...b, weight: 1 } })
  assert.equal(state.upstreamByName('models.test')!.balancer.peer(String(b['id']))!.weight, 100)
})

test('route and service changes rebuild the router; deleting an upstream drops its balancer', () => {
  const { state, s, r, u } = setup()
  const match = () =>
    state.router.match({ method: 'GET', host: 'x', path: '/v2/a', headers: {}, protocol: 'http' })
  assert.equal(match(), null)
  state.apply({ version: 11, entity: 'routes', op: 'upsert', id: String(r['id']), payload: { ...r, paths: ['/v2'] } })
  assert.equal(match()?.service?.id, s['id'])
  state.apply({ version: 12, entity: 'upstreams', op: 'delete', id: String(u['id']), payload: u })
  assert.equal(state.upstreamByName('models.test'), undefined)
})

test('the running hash equals a full recompute after random events, cascades included', () => {
  let seed = 11
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const ups = [0, 1, 2].map((i) => fx.upstream({ name: `u${i}.test` }))
  const svcs = [0, 1].map((i) => fx.service({ host: `u${i}.test` }))
  const state = new ConfigState({ now: () => 0, random: () => 0.5 })
  state.loadSnapshot(snapshotOf({ upstreams: ups, services: svcs }, 1))
  assert.equal(state.hash(), configHash(state.snapshot().entities))
  let version = 1
  const ids = Array.from({ length: 8 }, () => randomUUID())
  for (let step = 0; step < 400; step++) {
    const roll = random()
    let event: ConfigEvent
    const id = pick(ids)
    if (roll < 0.35) {
      const u = pick(ups)
      const payload = { id, target: `10.0.0.${Math.floor(random() * 4)}:80`, weight: Math.floor(random() * 100), upstream: { id: u['id'] } }
      event = { version: ++version, entity: 'targets', op: random() < 0.7 ? 'upsert' : 'delete', id, payload }
    } else if (roll < 0.45) {
      // Upstreams come and go (a delete cascades to their targets).
      const u = pick(ups)
      const op = random() < 0.5 ? 'upsert' : 'delete'
      event = { version: ++version, entity: 'upstreams', op, id: String(u['id']), payload: { ...u, slots: 100 + step } }
    } else if (roll < 0.6) {
      const s = pick(svcs)
      const op = random() < 0.7 ? 'upsert' : 'delete'
      event = { version: ++version, entity: 'services', op, id: String(s['id']), payload: { ...s, retries: step % 5 } }
    } else if (roll < 0.75) {
      const payload = { id, paths: [`/p${step}`], service: { id: pick(svcs)['id'] }, protocols: ['http'] }
      event = { version: ++version, entity: 'routes', op: random() < 0.8 ? 'upsert' : 'delete', id, payload }
    } else if (roll < 0.9) {
      // Plugins on a service or a route: deleting either cascades to them.
      const scope = random() < 0.5 ? { service: { id: pick(svcs)['id'] } } : { route: { id: pick(ids) } }
      const payload = { id, name: 'rate-limiting', config: { minute: step }, ...scope }
      event = { version: ++version, entity: 'plugins', op: 'upsert', id, payload }
    } else {
      const payload = { id, username: `c${step % 3}` }
      event = { version: ++version, entity: 'consumers', op: random() < 0.6 ? 'upsert' : 'delete', id, payload }
    }
    state.apply(event)
    if (step % 7 === 0) assert.equal(state.hash(), configHash(state.snapshot().entities), `after step ${step}`)
  }
  assert.equal(state.hash(), configHash(state.snapshot().entities))
})

test('a target moved to another upstream leaves the old balancer', () => {
  const { state, other, b } = setup()
  state.apply({ version: 11, entity: 'targets', op: 'upsert', id: String(b['id']), payload: { ...b, upstream: { id: other['id'] } } })
  assert.equal(state.upstreamByName('models.test')!.balancer.peer(String(b['id'])), undefined)
  assert.equal(state.upstreamByName('other.test')!.balancer.peer(String(b['id']))?.target, b['target'])
  // The upstream's own target list follows too: re-syncing it does not bring the target back.
  const u = state.upstreamByName('models.test')!.entity
  state.apply({ version: 12, entity: 'upstreams', op: 'upsert', id: u.id, payload: { ...u, slots: 200 } })
  assert.equal(state.upstreamByName('models.test')!.balancer.peers().length, 1)
})
