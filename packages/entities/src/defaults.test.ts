// Defaults and PATCH merging: absent fields get defaults, optional fields sent as null get
// their default too, required ones keep the null (→ "required field missing"); records merge
// leaf by leaf, arrays are replaced.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mergeUpdate, withDefaults } from './defaults.js'
import type { Fields } from './schema.js'

const FIELDS: Fields = {
  name: { type: 'string' },
  slots: { type: 'integer', default: 10 },
  protocol: { type: 'string', required: true, default: 'http' },
  tags: { type: 'set', elements: { type: 'string' } },
  hc: {
    type: 'record',
    required: true,
    default: {},
    fields: {
      interval: { type: 'number', default: 0 },
      statuses: { type: 'array', elements: { type: 'integer' }, default: [200, 302] },
    },
  },
}

test('withDefaults fills absent fields and nulls', () => {
  const cases: { input: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      input: {},
      expected: { name: null, slots: 10, protocol: 'http', tags: null, hc: { interval: 0, statuses: [200, 302] } },
    },
    {
      input: { slots: null, protocol: null, hc: null },
      expected: { name: null, slots: 10, protocol: null, tags: null, hc: { interval: 0, statuses: [200, 302] } },
    },
    {
      input: { hc: { interval: null, statuses: [500] }, extra: 1 },
      expected: { name: null, slots: 10, protocol: 'http', tags: null, hc: { interval: 0, statuses: [500] }, extra: 1 },
    },
  ]
  for (const { input, expected } of cases) assert.deepEqual(withDefaults(FIELDS, input), expected, JSON.stringify(input))
})

test('withDefaults copies defaults, never shares them', () => {
  const a = withDefaults(FIELDS, {}) as { hc: { statuses: number[] } }
  a.hc.statuses.push(1)
  assert.deepEqual((withDefaults(FIELDS, {}) as { hc: { statuses: number[] } }).hc.statuses, [200, 302])
})

test('mergeUpdate merges records and replaces everything else', () => {
  const stored = { name: 'a', slots: 5, tags: ['x'], hc: { interval: 1, statuses: [200] } }
  assert.deepEqual(mergeUpdate(FIELDS, stored, { hc: { interval: 5 } }), { ...stored, hc: { interval: 5, statuses: [200] } })
  assert.deepEqual(mergeUpdate(FIELDS, stored, { hc: { statuses: [503] }, tags: null }), {
    ...stored,
    tags: null,
    hc: { interval: 1, statuses: [503] },
  })
  assert.deepEqual(mergeUpdate(FIELDS, stored, { hc: null }), { ...stored, hc: null })
})

test('mergeUpdate keeps a __proto__ key as an own field', () => {
  const merged = mergeUpdate(FIELDS, { name: 'a' }, JSON.parse('{"__proto__":{"polluted":1}}'))
  assert.ok(Object.hasOwn(merged, '__proto__'))
  assert.equal(Object.getPrototypeOf(merged), Object.prototype)
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
})
