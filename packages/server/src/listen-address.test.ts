import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseListen, parseListeners } from './listen-address.js'

test('Kong listen syntax (table)', () => {
  const cases: [string | undefined, unknown][] = [
    [undefined, { host: '127.0.0.1', port: 8001 }],
    ['0.0.0.0:8000', { host: '0.0.0.0', port: 8000 }],
    ['0.0.0.0:8000 reuseport backlog=16384', { host: '0.0.0.0', port: 8000 }],
    ['0.0.0.0:8443 ssl, 127.0.0.1:8000', { host: '127.0.0.1', port: 8000 }],
    ['[::1]:8001', { host: '::1', port: 8001 }],
    ['off', undefined],
  ]
  for (const [value, expected] of cases) assert.deepEqual(parseListen(value, '127.0.0.1:8001'), expected, String(value))
  assert.throws(() => parseListen('8001', 'x'), /invalid listen address '8001'/)
})

test('every listener with its ssl flag (table)', () => {
  const cases: [string | undefined, unknown][] = [
    [undefined, [{ host: '0.0.0.0', port: 8000, ssl: false }]],
    ['0.0.0.0:8000, 0.0.0.0:8443 ssl', [{ host: '0.0.0.0', port: 8000, ssl: false }, { host: '0.0.0.0', port: 8443, ssl: true }]],
    ['127.0.0.1:8443 http2 ssl reuseport', [{ host: '127.0.0.1', port: 8443, ssl: true }]],
    ['[::1]:8443 ssl', [{ host: '::1', port: 8443, ssl: true }]],
    ['0.0.0.0:8443 sslx', [{ host: '0.0.0.0', port: 8443, ssl: false }]],
    ['off', []],
  ]
  for (const [value, expected] of cases) assert.deepEqual(parseListeners(value, '0.0.0.0:8000'), expected, String(value))
  assert.throws(() => parseListeners('0.0.0.0:8000, nope ssl', 'x'), /invalid listen address 'nope'/)
})
