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

test('canonical JSON: the key order remembered for one object never leaks into another with as many keys', () => {
  // Same key count, other keys or another order: each is sorted on its own.
  assert.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}')
  assert.equal(canonicalJson({ a: 2, b: 1 }), '{"a":2,"b":1}')
  assert.equal(canonicalJson({ d: 1, c: 2 }), '{"c":2,"d":1}')
  assert.equal(canonicalJson({ b: undefined, a: [undefined, 'x"\n'] }), '{"a":[null,"x\\"\\n"]}')
  // Against the plain definition (sort every object's keys, drop undefined), on random values.
  const plain = (v: unknown): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null)
    if (Array.isArray(v)) return `[${v.map(plain).join(',')}]`
    const o = v as Record<string, unknown>
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${plain(o[k])}`).join(',')}}`
  }
  let seed = 3
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const KEYS = ['a', 'b', 'B', 'é', 'a"b', '10', '2', '_', 'zz', '']
  const gen = (depth: number): unknown => {
    const x = random()
    if (depth > 3 || x < 0.3) return [null, undefined, 1, -0, 1.5e300, 'x"\n\u2028', true, false, 'ü'][Math.floor(random() * 9)]
    if (x < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => gen(depth + 1))
    const o: Record<string, unknown> = {}
    for (const k of [...KEYS].sort(() => random() - 0.5)) if (random() < 0.4) o[k] = gen(depth + 1)
    return o
  }
  for (let i = 0; i < 3000; i++) {
    const v = gen(0)
    assert.equal(canonicalJson(v), plain(v))
  }
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
