import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ENTITIES } from '@switchyard/entities'
import { checkOutboxReplay, type StoredEntities } from './run.js'

function stored(over: Partial<StoredEntities>): StoredEntities {
  return { ...(Object.fromEntries(Object.keys(ENTITIES).map((n) => [n, []])) as unknown as StoredEntities), ...over }
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

test('outbox replay: consumers take their plugins and keys, certificates their SNIs', () => {
  const c = { id: 'c1', username: 'team' }
  const k = { id: 'k1', consumer: { id: 'c1' }, key: 'x' }
  const p = { id: 'p1', name: 'rate-limiting', consumer: { id: 'c1' } }
  const cert = { id: 'ce1' }
  const sni = { id: 'sn1', name: 'a.test', certificate: { id: 'ce1' } }
  const events = [
    { entity: 'consumers', op: 'upsert', id: 'c1', payload: c },
    { entity: 'keyauth_credentials', op: 'upsert', id: 'k1', payload: k },
    { entity: 'plugins', op: 'upsert', id: 'p1', payload: p },
    { entity: 'certificates', op: 'upsert', id: 'ce1', payload: cert },
    { entity: 'snis', op: 'upsert', id: 'sn1', payload: sni },
    { entity: 'consumers', op: 'delete', id: 'c1', payload: c },
    { entity: 'certificates', op: 'delete', id: 'ce1', payload: cert },
  ]
  assert.deepEqual(checkOutboxReplay(events, stored({})), [])
})
