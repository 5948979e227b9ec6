import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as api from './index.js'

test('public surface: the documented runtime exports and nothing else', () => {
  assert.deepEqual(Object.keys(api).sort(), [
    'ALGORITHM_NAMES',
    'BALANCER_ERROR_MESSAGES',
    'BALANCER_UNHEALTHY',
    'Balancer',
    'DEFAULT_TARGET_PORT',
    'MAX_SLOTS',
    'MAX_TARGET_WEIGHT',
    'MIN_SLOTS',
    'NO_PEERS_AVAILABLE',
    'PEER_ERROR_RESPONSE_MESSAGE',
    'PEER_ERROR_STATUS_CODE',
    'isAlgorithmName',
    'isHealthy',
    'parseTarget',
  ])
})

test('public surface: a proxy-style request cycle', () => {
  const balancer = new api.Balancer(
    { id: 'u', name: 'llm', algorithm: 'latency', slots: 10_000, healthchecks: { threshold: 0 } },
    [
      { id: 'a', target: 'gpu-a:8080', weight: 100 },
      { id: 'b', target: 'gpu-b:8080', weight: 100 },
    ],
    { now: () => 0, random: () => 0.5 },
  )
  const first = balancer.pick({})
  assert.ok(first.ok)
  // Connection refused: retry on another peer with the same handle.
  const second = balancer.pick({}, first.handle)
  assert.ok(second.ok)
  assert.notEqual(second.peer.id, first.peer.id)
  second.handle.reportTtfb(120)
  second.handle.release()
  const third = balancer.pick({}, second.handle)
  assert.deepEqual(third, { ok: false, error: api.NO_PEERS_AVAILABLE })
  if (!third.ok) assert.equal(third.error.message, 'No peers are available')
})
