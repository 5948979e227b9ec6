// The commit notices on real Redis: commits that finish in the same turn of the event loop
// share one doorbell with the newest version; a later commit rings again.

import { CONFIG_CHANNEL, connectRedis, parseNotice, type Notice } from '@switchyard/cluster'
import { connectPglite, Store, type OutboxEvent } from '@switchyard/db'
import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { OutboxPublisher } from './publisher.js'

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
let sub: ReturnType<typeof connectRedis>
let store: Store
const heard: Notice[] = []

before(async () => {
  sub = connectRedis(REDIS_URL)
  try {
    await new Promise<void>((resolve, reject) => {
      sub.once('ready', resolve)
      setTimeout(() => reject(new Error('no ready within 3 s')), 3000)
    })
  } catch (err) {
    throw new Error(`Redis is required for this test and is not reachable at ${REDIS_URL}: ${(err as Error).message}`)
  }
  await sub.subscribe(CONFIG_CHANNEL)
  sub.on('message', (_channel: string, text: string) => {
    const n = parseNotice(text)
    // Other tests' clusters share the channel; ours are the versions above a million.
    if (n?.type === 'commit' && n.version > 1_000_000 && n.version < 200_000_000) heard.push(n)
  })
  store = new Store(await connectPglite())
})

after(async () => {
  sub?.disconnect()
  await store?.database.close()
})

const commit = (version: number): OutboxEvent[] => [{ version, entity: 'targets', op: 'upsert', id: `t${version}`, payload: null }]

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out; heard ${JSON.stringify(heard)}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

test('commits of one event-loop turn share one notice with the newest version; a later commit rings again', async () => {
  const publisher = new OutboxPublisher(REDIS_URL, store, createLogger({ write: () => {} }))
  try {
    const base = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 100
    // Out of order, as commits on several connections can finish.
    for (const v of [base + 2, base + 1, base + 5, base + 3, base + 4]) publisher.committed(commit(v))
    await until(() => heard.some((n) => n.version === base + 5))
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(
      heard.filter((n) => n.version > base && n.version <= base + 10).map((n) => n.version),
      [base + 5],
      'one notice for the five commits'
    )
    publisher.committed(commit(base + 6))
    await until(() => heard.some((n) => n.version === base + 6))
    assert.deepEqual(
      heard.filter((n) => n.version > base && n.version <= base + 10).map((n) => n.version),
      [base + 5, base + 6]
    )
  } finally {
    await publisher.close()
  }
})
