import assert from 'node:assert/strict'
import { test } from 'node:test'
import { canonicalJson, ConfigHashSum, configHash, entityDigest } from './config-hash.js'
import type { EntityJson, EntityKind } from './types.js'

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

test('the same entity under another kind hashes differently; a missing kind equals an empty one', () => {
  assert.notEqual(configHash({ routes: [{ id: 'a' }] }), configHash({ services: [{ id: 'a' }] }))
  assert.equal(configHash({ routes: [{ id: 'a' }] }), configHash({ ...empty, consumers: [], routes: [{ id: 'a' }] }))
  assert.notEqual(configHash(empty), '0'.repeat(32))
})

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(canonicalJson({ b: [2, 1], a: { d: null, c: 1 } }), '{"a":{"c":1,"d":null},"b":[2,1]}')
})

test('a running sum updated per change equals the hash of the final entities, after any sequence', () => {
  let seed = 7
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const kinds: EntityKind[] = ['upstreams', 'targets', 'routes']
  for (let run = 0; run < 20; run++) {
    const sum = new ConfigHashSum()
    const live = new Map<string, { kind: EntityKind; entity: EntityJson; digest: bigint }>()
    for (let step = 0; step < 200; step++) {
      const kind = kinds[Math.floor(random() * kinds.length)]!
      const id = `${kind}-${Math.floor(random() * 15)}`
      const old = live.get(id)
      if (old) sum.remove(old.digest)
      if (random() < 0.3) {
        live.delete(id)
      } else {
        const entity = { id, weight: Math.floor(random() * 5), tags: random() < 0.5 ? null : ['a'] }
        const digest = entityDigest(kind, entity)
        live.set(id, { kind, entity, digest })
        sum.add(digest)
      }
    }
    const byKind: Partial<Record<EntityKind, EntityJson[]>> = {}
    for (const { kind, entity } of live.values()) (byKind[kind] ??= []).push(entity)
    assert.equal(sum.hash(), configHash(byKind))
  }
})
