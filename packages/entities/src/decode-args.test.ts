// The form decoder (Kong's arguments.lua): key structure, repeated keys, holes, map keys on
// bodies, value inference by schema, and safety against keys such as `__proto__`.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodePairs, inferFields, inferValue, parseKey } from './decode-args.js'
import type { Field, Fields } from './schema.js'
import { upstreams } from './upstreams.js'

test('parseKey splits dots, indexes, appends and map keys', () => {
  const cases: [string, boolean, unknown[]][] = [
    ['name', true, [{ key: 'name' }]],
    ['a.b.c', true, [{ key: 'a' }, { key: 'b' }, { key: 'c' }]],
    ['x[]', true, [{ key: 'x' }, { append: true }]],
    ['x[2]', true, [{ key: 'x' }, { index: 2 }]],
    ['a[1].b', true, [{ key: 'a' }, { index: 1 }, { key: 'b' }]],
    ['h[x-foo]', true, [{ key: 'h' }, { key: 'x-foo' }]],
    // Outside POST/PUT/PATCH a named bracket is not a map key.
    ['h[x-foo]', false, [{ key: 'h' }, { key: '[x-foo]' }]],
    ['tags%5B%5D', true, [{ key: 'tags' }, { append: true }]],
    ['x%5b1%5d', true, [{ key: 'x' }, { index: 1 }]],
  ]
  for (const [key, mapKeys, segments] of cases) assert.deepEqual(parseKey(key, mapKeys), segments, key)
})

test('decodePairs builds the nested structure', () => {
  const cases: { pairs: [string, string][]; expected: unknown }[] = [
    { pairs: [['a.b', '1']], expected: { a: { b: '1' } } },
    { pairs: [['x[]', 'a'], ['x[]', 'b']], expected: { x: ['a', 'b'] } },
    { pairs: [['x[2]', 'b'], ['x[1]', 'a']], expected: { x: ['a', 'b'] } },
    { pairs: [['x', 'a'], ['x', 'b'], ['x', 'c']], expected: { x: ['a', 'b', 'c'] } },
    { pairs: [['a[1].b', 'x'], ['a[2].b', 'y']], expected: { a: [{ b: 'x' }, { b: 'y' }] } },
    { pairs: [['h.x[1]', 'v']], expected: { h: { x: ['v'] } } },
    { pairs: [['h[x-foo]', 'bar']], expected: { h: { 'x-foo': 'bar' } } },
    { pairs: [['n', '']], expected: { n: '' } },
    // A hole means "not a sequence": kept as positions so validation says "expected a set".
    { pairs: [['x[2]', 'b']], expected: { x: { 2: 'b' } } },
    { pairs: [['x[1]', 'a'], ['x[3]', 'c']], expected: { x: { 1: 'a', 3: 'c' } } },
  ]
  for (const { pairs, expected } of cases) assert.deepEqual(decodePairs(pairs, true), expected, JSON.stringify(pairs))
})

test('decodePairs keeps __proto__ and constructor keys as plain own fields', () => {
  const decoded = decodePairs(
    [
      ['__proto__.polluted', 'yes'],
      ['__proto__[polluted2]', 'yes'],
      ['constructor.prototype.polluted3', 'yes'],
      ['x[]', 'a'],
      ['x.__proto__.polluted4', 'yes'],
    ],
    true
  )
  const probe = {} as Record<string, unknown>
  for (const key of ['polluted', 'polluted2', 'polluted3', 'polluted4']) assert.equal(probe[key], undefined, key)
  assert.equal(([] as unknown as Record<string, unknown>)['polluted4'], undefined)
  assert.deepEqual(Object.keys(decoded).sort(), ['__proto__', 'constructor', 'x'])
  assert.ok(Object.hasOwn(decoded, '__proto__'))
})

test('decodePairs handles huge indexes without walking them', () => {
  const started = performance.now()
  assert.deepEqual(decodePairs([['x[99999999]', '1']], true), { x: { 99999999: '1' } })
  assert.ok(performance.now() - started < 1000)
})

test('inferValue coerces by field type', () => {
  const int: Field = { type: 'integer' }
  const num: Field = { type: 'number' }
  const bool: Field = { type: 'boolean' }
  const str: Field = { type: 'string' }
  const cases: [unknown, Field, unknown][] = [
    ['20', int, 20],
    [' 7 ', int, 7],
    ['2.5', int, 2.5],
    ['abc', int, 'abc'],
    ['1e3', num, 1000],
    ['-0.5', num, -0.5],
    ['', int, null],
    ['', str, null],
    ['true', bool, true],
    ['false', bool, false],
    ['1', bool, '1'],
    ['TRUE', bool, 'TRUE'],
    ['x', str, 'x'],
    ['a', { type: 'set', elements: str }, ['a']],
    [['200', '404'], { type: 'array', elements: int }, [200, 404]],
    ['200', { type: 'array', elements: int }, [200]],
    [{ 2: 'b' }, { type: 'set', elements: str }, { 2: 'b' }],
    [{ 'x-a': '1' }, { type: 'map', keys: str, values: { type: 'array', elements: str } }, { 'x-a': ['1'] }],
    [{ n: '3', s: 'x' }, { type: 'record', fields: { n: int } }, { n: 3, s: 'x' }],
    [{ id: '', name: 'x' }, { type: 'foreign', reference: 'services' }, { id: null, name: 'x' }],
    ['plain', { type: 'foreign', reference: 'services' }, 'plain'],
  ]
  for (const [value, field, expected] of cases) {
    assert.deepEqual(inferValue(value, field), expected, `${JSON.stringify(value)} as ${field.type}`)
  }
})

test('inferFields coerces known fields recursively and leaves unknown keys alone', () => {
  const decoded = decodePairs(
    [
      ['name', 'u.test'],
      ['slots', '20'],
      ['use_srv_name', 'true'],
      ['healthchecks.active.healthy.interval', '5'],
      ['healthchecks.active.healthy.http_statuses', '200'],
      ['healthchecks.active.headers[x-a]', 'v'],
      ['nope', '1'],
      ['__proto__', '1'],
    ],
    true
  )
  assert.deepEqual(inferFields(decoded, upstreams.fields), {
    name: 'u.test',
    slots: 20,
    use_srv_name: true,
    healthchecks: { active: { healthy: { interval: 5, http_statuses: [200] }, headers: { 'x-a': ['v'] } } },
    nope: '1',
    ['__proto__']: '1',
  })
  const extra: Fields = { url: { type: 'string' } }
  assert.deepEqual(inferFields({ url: '' }, {}, extra), { url: null })
})

// Found by the Admin API fuzzer: `x[]` with a following segment on a key already used as a
// record (`x.y=1&x[].z=2`) called push on an object (TypeError, 500).
test('decodePairs never throws on keys that mix records and appends', () => {
  const mixes: [string, string][][] = [
    [['x.y', '1'], ['x[].z', '2']],
    [['x.y', '1'], ['x[][]', '2']],
    [['x[1]', 'a'], ['x.y', 'b'], ['x[].z', 'c']],
    [['x', 's'], ['x[].z', 'c']],
    [['x[].a', '1'], ['x[].b', '2'], ['x.c', '3'], ['x[].d', '4']],
    [['a.b[1]', '[]'], ['a.b[2]', 'x'], ['a.b[].c', 'y']],
  ]
  for (const pairs of mixes) {
    assert.doesNotThrow(() => decodePairs(pairs, true), JSON.stringify(pairs))
    assert.doesNotThrow(() => decodePairs(pairs, false), JSON.stringify(pairs))
  }
  assert.deepEqual(decodePairs([['x.y', '1'], ['x[].z', '2']], true), { x: { y: '1', '0': { z: '2' } } })
})
