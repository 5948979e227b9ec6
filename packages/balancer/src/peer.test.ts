import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPeer, parseTarget } from './peer.js'

test('parseTarget splits every target form Kong stores', () => {
  const cases = [
    { target: '10.0.0.1:8080', host: '10.0.0.1', port: 8080 },
    { target: 'model-a.internal:11434', host: 'model-a.internal', port: 11434 },
    { target: 'model-a.internal', host: 'model-a.internal', port: 8000 },
    { target: '[::1]:9000', host: '::1', port: 9000 },
    { target: '[::1]', host: '::1', port: 8000 },
    { target: '::1', host: '::1', port: 8000 },
    { target: 'h:0', host: 'h', port: 0 },
  ]
  for (const { target, host, port } of cases) {
    assert.deepEqual(parseTarget(target), { host, port }, target)
  }
})

test('parseTarget and createPeer reject invalid configuration', () => {
  for (const target of ['', ':80', 'h:', 'h:65536', 'h:8x', '[::1', '[::1]x', '[]:80']) {
    assert.throws(() => parseTarget(target), RangeError, target)
  }
  for (const weight of [-1, 65536, 1.5, Number.NaN]) {
    assert.throws(() => createPeer({ id: 't', target: 'h:1', weight }), RangeError, `${weight}`)
  }
})

test('createPeer starts healthy, primary unless told otherwise', () => {
  assert.deepEqual(createPeer({ id: 't1', target: 'h:1', weight: 0 }), {
    id: 't1',
    target: 'h:1',
    host: 'h',
    port: 1,
    weight: 0,
    backup: false,
    available: true,
    share: 1,
    effective: 0,
    usage: 0,
  })
  assert.equal(createPeer({ id: 't2', target: 'h:2', weight: 5, backup: true }).backup, true)
})
