import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactRedisUrl, sentinelOptions } from './redis-url.js'

test('Sentinel URLs become ioredis sentinel options; other URLs are left to ioredis', () => {
  assert.equal(sentinelOptions('redis://127.0.0.1:6379'), undefined)
  assert.equal(sentinelOptions('rediss://u:p@127.0.0.1:6380/2'), undefined)
  const o = sentinelOptions('redis+sentinel://dp:s%40cret@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster/3?sentinelPassword=x')!
  assert.deepEqual(o.sentinels, [
    { host: '10.0.0.1', port: 26379 },
    { host: '10.0.0.2', port: 26379 },
    { host: '::1', port: 26380 },
  ])
  assert.equal(o.name, 'mymaster')
  assert.equal(o.username, 'dp')
  assert.equal(o.password, 's@cret')
  assert.equal(o.db, 3)
  assert.equal(o.sentinelPassword, 'x')
  assert.equal(o.tls, undefined)
  const t = sentinelOptions('rediss+sentinel://127.0.0.1:26379/m')!
  assert.deepEqual(t.tls, {})
  assert.equal(t.enableTLSForSentinelMode, true)
  for (const bad of ['redis+sentinel://127.0.0.1:26379', 'redis+sentinel:///m', 'redis+sentinel://h:99999/m', 'redis+sentinel://h:x/m']) {
    assert.throws(() => sentinelOptions(bad), /REDIS_URL/, bad)
  }
})

test('passwords never reach a log line', () => {
  assert.equal(redactRedisUrl('redis://dp:secret@h:6379'), 'redis://dp:***@h:6379')
  assert.equal(redactRedisUrl('redis+sentinel://:secret@h:1,h:2/m'), 'redis+sentinel://:***@h:1,h:2/m')
})
