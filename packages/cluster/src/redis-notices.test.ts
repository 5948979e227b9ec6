// The doorbell over the real local Redis: published notices reach a subscriber; malformed
// messages on the channel are dropped. Fails loudly when Redis is unreachable.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { CONFIG_CHANNEL } from './notices.js'
import { NoticePublisher, NoticeSubscriber, connectRedis } from './redis-notices.js'
import type { Notice } from './notices.js'
import { RedisServerProcess } from '@switchyard/test-kit'

const REDIS_URL = 'redis://127.0.0.1:6379'

test('notices published by the control plane reach subscribers; garbage is dropped', async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    await probe.connect()
    assert.equal(await probe.ping(), 'PONG')
  } catch (err) {
    throw new Error(`Redis is required at ${REDIS_URL} (run scripts/services.sh): ${(err as Error).message}`)
  }
  const seen: Notice[] = []
  let ready!: () => void
  const readyP = new Promise<void>((r) => (ready = r))
  const sub = new NoticeSubscriber(REDIS_URL, { onNotice: (n) => seen.push(n), onReady: () => ready() })
  const pub = new NoticePublisher(connectRedis(REDIS_URL))
  try {
    await readyP
    assert.equal(sub.connected, true)
    await probe.publish(CONFIG_CHANNEL, 'not json')
    await probe.publish(CONFIG_CHANNEL, '{"type":"commit","version":"x"}')
    assert.equal(await pub.publish({ type: 'commit', version: 41 }), true)
    assert.equal(await pub.publish({ type: 'heartbeat', version: 42 }), true)
    const deadline = Date.now() + 2000
    // Other tests may publish on the shared channel: wait for ours, not for any two notices.
    const ours = () => seen.some((n) => n.type === 'commit' && n.version === 41) && seen.some((n) => n.type === 'heartbeat' && n.version === 42)
    while (!ours() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    // Ours must be there, garbage must not.
    assert.ok(seen.some((n) => n.type === 'commit' && n.version === 41))
    assert.ok(seen.some((n) => n.type === 'heartbeat' && n.version === 42))
    assert.ok(seen.every((n) => Number.isSafeInteger(n.version)))
  } finally {
    await sub.close()
    await pub.close()
    probe.disconnect()
  }
})

test('publishing while Redis is unreachable reports false instead of throwing', async () => {
  const pub = new NoticePublisher(connectRedis('redis://127.0.0.1:1'))
  try {
    assert.equal(await pub.publish({ type: 'commit', version: 1 }), false)
  } finally {
    await pub.close()
  }
})

test('publishes during an outage share one ready listener and leave none behind', async () => {
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.name)
  process.on('warning', onWarning)
  const pub = new NoticePublisher(connectRedis('redis://127.0.0.1:1'))
  try {
    for (let round = 0; round < 3; round++) {
      const pending = Array.from({ length: 30 }, (_, i) => pub.publish({ type: 'commit', version: round * 30 + i }))
      assert.ok(pub.pendingReadyListeners <= 1, `${pub.pendingReadyListeners} ready listeners while waiting`)
      assert.deepEqual(new Set(await Promise.all(pending)), new Set([false]))
      assert.equal(pub.pendingReadyListeners, 0, 'no ready listener left after the wait')
    }
    assert.ok(!warnings.includes('MaxListenersExceededWarning'), warnings.join(', '))
  } finally {
    process.off('warning', onWarning)
    await pub.close()
  }
})

test('an ACL user and password in REDIS_URL: notices flow; the wrong password gets nothing', { timeout: 20_000 }, async () => {
  // A private server whose default user may only PING (the readiness probe): everything else
  // needs the `switchyard` ACL user.
  const server = await RedisServerProcess.start(undefined, [
    '--user', 'default', 'reset', 'on', 'nopass', '+ping',
    '--user', 'switchyard', 'on', '>s3cret', '~*', '&switchyard:*', '+@all',
  ])
  const url = `redis://switchyard:s3cret@127.0.0.1:${server.port}`
  const seen: Notice[] = []
  let ready!: () => void
  const readyP = new Promise<void>((r) => (ready = r))
  const sub = new NoticeSubscriber(url, { onNotice: (n) => seen.push(n), onReady: () => ready() })
  const pub = new NoticePublisher(connectRedis(url))
  const wrong = new NoticePublisher(connectRedis(`redis://switchyard:nope@127.0.0.1:${server.port}`))
  try {
    await readyP
    assert.equal(await pub.publish({ type: 'commit', version: 7 }), true)
    assert.equal(await wrong.publish({ type: 'commit', version: 8 }), false)
    const deadline = Date.now() + 2000
    while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(seen, [{ type: 'commit', version: 7 }])
  } finally {
    await Promise.all([sub.close(), pub.close(), wrong.close()])
    await server.kill()
  }
})
