import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatNotice, parseNotice } from './notices.js'

test('parses well-formed notices and rejects everything else', () => {
  assert.deepEqual(parseNotice(formatNotice({ type: 'commit', version: 7 })), { type: 'commit', version: 7 })
  assert.deepEqual(parseNotice('{"type":"heartbeat","version":0}'), { type: 'heartbeat', version: 0 })
  const epoch = '6f1c1c3e-2b8a-4f43-9a57-0f1d7e3c1a2b'
  assert.deepEqual(parseNotice(formatNotice({ type: 'heartbeat', version: 3, epoch })), { type: 'heartbeat', version: 3, epoch })
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
    '{"type":"commit","version":3,"epoch":"not-a-uuid"}',
    '{"type":"commit","version":3,"epoch":7}',
  ]) {
    assert.equal(parseNotice(bad), undefined, bad.slice(0, 40))
  }
})
