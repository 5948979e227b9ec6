import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkOutboxReplay, type StoredEntities } from './run.js'

function stored(over: Partial<StoredEntities>): StoredEntities {
  return { upstreams: [], targets: [], services: [], routes: [], plugins: [], ...over }
}

test('outbox replay: cascades as the foreign keys do, reports drift both ways', () => {
  const u = { id: 'u1', name: 'u.test' }
  const t = { id: 't1', upstream: { id: 'u1' }, target: 'a:80' }
  const s = { id: 's1', host: 'x' }
  const p = { id: 'p1', name: 'prometheus', service: { id: 's1' } }
  const events = [
    { entity: 'upstreams', op: 'upsert', id: 'u1', payload: u },
    { entity: 'targets', op: 'upsert', id: 't1', payload: t },
    { entity: 'services', op: 'upsert', id: 's1', payload: s },
    { entity: 'plugins', op: 'upsert', id: 'p1', payload: p },
  ]
  assert.deepEqual(checkOutboxReplay(events, stored({ upstreams: [u], targets: [t], services: [s], plugins: [p] })), [])
  const cascaded = [...events, { entity: 'upstreams', op: 'delete', id: 'u1', payload: u }, { entity: 'services', op: 'delete', id: 's1', payload: s }]
  assert.deepEqual(checkOutboxReplay(cascaded, stored({})), [])
  assert.deepEqual(checkOutboxReplay(events.slice(0, 1), stored({ upstreams: [u], services: [s] })), [
    'services/s1 is stored but the outbox never delivered it',
  ])
  assert.deepEqual(checkOutboxReplay(events.slice(0, 1), stored({ upstreams: [{ ...u, name: 'v.test' }] })), [
    'upstreams/u1 differs between the outbox and the table',
  ])
  assert.deepEqual(checkOutboxReplay(events.slice(0, 1), stored({})), ['upstreams/u1 was deleted but the outbox never said so'])
})
