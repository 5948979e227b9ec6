import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { notEnabled, plugins } from './plugins.js'
import { prepareCreate } from './write.js'

const ctx = { now: 1_700_000_000_000, newId: () => '5b8a6f3c-3c2e-4b8e-9a53-0f6d1c2e1a11' }

describe('plugin names', () => {
  // Found by the Admin API fuzzer: `__proto__` looked up Object.prototype as a plugin schema and
  // the write crashed with a 500.
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
    it(`${name} is not an enabled plugin`, () => {
      const r = prepareCreate(plugins, { name, config: {} }, ctx)
      assert.equal(r.ok, false)
      if (!r.ok) assert.equal((r.error as { fields?: Record<string, unknown> }).fields?.['name'], notEnabled(name))
    })
  }

  it('an enabled plugin still validates', () => {
    const r = prepareCreate(plugins, { name: 'prometheus' }, ctx)
    assert.equal(r.ok, true)
  })
})
