import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatNotice, parseNotice } from './notices.js'

test('parses well-formed notices and rejects everything else', () => {
  assert.deepEqual(parseNotice(formatNotice({ type: 'commit', version: 7 })), { type: 'commit', version: 7 })
  assert.deepEqual(parseNotice('{"type":"heartbeat","version":0}'), { type: 'heartbeat', version: 0 })
  for (const bad of [
    'garbage',
    '',
    'null',
    '[]',
    '{"type":"commit"}',
    '{"type":"commit","version":-1}',
    '{"type":"commit","version":1.5}',
    '{"type":"commit","version":"3"}',
    '{"type":"event","version":3}',
    '{"type":"commit","version":1e300}',
    'x'.repeat(1000),
  ]) {
    assert.equal(parseNotice(bad), undefined, bad.slice(0, 40))
  }
})
