import assert from 'node:assert/strict'
import { test } from 'node:test'
import { kongListeners, listenEntries } from './kong-listeners.js'

test('an entry with flags: every flag as a boolean, the pattern flag keyed by its text', () => {
  const [l] = kongListeners('0.0.0.0:8000 reuseport backlog=16384')!
  assert.deepEqual(l, {
    ssl: false,
    http2: false,
    proxy_protocol: false,
    deferred: false,
    bind: false,
    reuseport: true,
    'backlog=16384': true,
    'ipv6only=on': false,
    'ipv6only=off': false,
    'so_keepalive=on': false,
    'so_keepalive=off': false,
    'so_keepalive=%w*:%w*:%d*': false,
    ip: '0.0.0.0',
    port: 8000,
    listener: '0.0.0.0:8000 reuseport backlog=16384',
  })
})

test('several entries; http2 is dropped from `listener`; off and bad input', () => {
  const list = kongListeners('127.0.0.1:8001, [::1]:8444 http2 ssl')!
  assert.deepEqual(list.map((l) => [l['ip'], l['port'], l['ssl'], l['http2'], l['backlog=%d+'], l['listener']]), [
    ['127.0.0.1', 8001, false, false, false, '127.0.0.1:8001'],
    ['[::1]', 8444, true, true, false, '[::1]:8444 ssl'],
  ])
  assert.deepEqual(kongListeners('off'), [])
  assert.equal(kongListeners('nonsense'), undefined)
  assert.deepEqual(listenEntries(' 127.0.0.1:8001 reuseport , 127.0.0.1:8444 ssl'), ['127.0.0.1:8001 reuseport', '127.0.0.1:8444 ssl'])
  assert.deepEqual(listenEntries('off'), [])
})
