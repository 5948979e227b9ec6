import assert from 'node:assert/strict'
import { test } from 'node:test'
import { canonicalJson, configHash } from './config-hash.js'

const empty = { upstreams: [], targets: [], services: [], routes: [], plugins: [] }

test('hash ignores key order and entity order but not values', () => {
  const a = { ...empty, upstreams: [{ id: 'b', name: 'x', slots: 10 }, { id: 'a', name: 'y' }] }
  const b = { ...empty, upstreams: [{ name: 'y', id: 'a' }, { slots: 10, name: 'x', id: 'b' }] }
  assert.equal(configHash(a), configHash(b))
  assert.match(configHash(a), /^[0-9a-f]{32}$/)
  const c = { ...empty, upstreams: [{ id: 'b', name: 'x', slots: 11 }, { id: 'a', name: 'y' }] }
  assert.notEqual(configHash(a), configHash(c))
  assert.notEqual(configHash(empty), configHash({ ...empty, routes: [{ id: 'a' }] }))
})

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: [2, 1], a: { d: null, c: 1 } }), '{"a":{"c":1,"d":null},"b":[2,1]}')
})
