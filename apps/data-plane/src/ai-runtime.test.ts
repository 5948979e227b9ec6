// The AI runtime's start-up against a shared store that is slow to answer: a restarted node
// waits a little for the cluster's cooldowns before serving, and keeps asking if it must go on
// without them.

import { MemoryAiStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AiRuntime } from './ai-runtime.js'
import { ConfigState } from './config-state.js'
import { fx, snapshotOf } from './test-fixtures.js'

class FlakyStore extends MemoryAiStore {
  failures: number
  constructor(failures: number) {
    super()
    this.failures = failures
  }
  override async states(upstreamId: string, nowMs: number) {
    if (this.failures > 0) {
      this.failures--
      throw new Error('Redis is not ready')
    }
    return super.states(upstreamId, nowMs)
  }
}

function setup(store: MemoryAiStore) {
  const u = fx.upstream({ name: 'llm.test' })
  const t = fx.target(u, { target: '127.0.0.1:9001' })
  const state = new ConfigState({ now: () => performance.now(), random: Math.random })
  state.loadSnapshot(snapshotOf({ upstreams: [u], targets: [t] }))
  const ai = new AiRuntime({ state, store, log: createLogger({ level: 'silent' }), tickMs: 20 })
  const peer = () => state.upstreamById(String(u['id']))!.balancer.peer('127.0.0.1:9001')!
  return { ai, peer, upstreamId: String(u['id']) }
}

test('start waits for a store that answers late, and applies the cooldowns it holds', async () => {
  const store = new FlakyStore(3)
  const { ai, peer, upstreamId } = setup(store)
  await store.coolDown(upstreamId, '127.0.0.1:9001', Date.now() + 60_000, 'rate_limited')
  await ai.start()
  try {
    assert.equal(store.failures, 0)
    assert.equal(peer().share, 0, 'the cooling target is out before the first request')
  } finally {
    ai.stop()
  }
})

test('a store still down after the start-up wait is asked again until it answers', async () => {
  const store = new FlakyStore(1_000_000)
  const { ai, peer, upstreamId } = setup(store)
  await store.coolDown(upstreamId, '127.0.0.1:9001', Date.now() + 60_000, 'rate_limited')
  const started = performance.now()
  await ai.start()
  try {
    assert.ok(performance.now() - started < 5000, 'start-up does not wait forever')
    assert.equal(peer().share, 1)
    store.failures = 0
    const until = Date.now() + 3000
    while (peer().share !== 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    assert.equal(peer().share, 0)
  } finally {
    ai.stop()
  }
})
