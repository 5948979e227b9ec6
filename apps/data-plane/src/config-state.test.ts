// ConfigState applies snapshots and versioned events incrementally: a target change touches
// only its upstream's balancer, health flags survive, stale events are ignored.

import assert from 'node:assert/strict'
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
