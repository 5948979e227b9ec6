import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  BALANCER_ERROR_MESSAGES,
  BALANCER_UNHEALTHY,
  NO_PEERS_AVAILABLE,
  PEER_ERROR_RESPONSE_MESSAGE,
  PEER_ERROR_STATUS_CODE,
} from './errors.js'

test('error catalog carries Kong strings verbatim', () => {
  const cases = [
    { error: NO_PEERS_AVAILABLE, code: 'NO_PEERS_AVAILABLE', message: 'No peers are available' },
    { error: BALANCER_UNHEALTHY, code: 'BALANCER_UNHEALTHY', message: 'Balancer is unhealthy' },
  ] as const
  for (const { error, code, message } of cases) {
    assert.equal(error.code, code)
    assert.equal(error.message, message)
    assert.equal(BALANCER_ERROR_MESSAGES[code], message)
    assert.ok(Object.isFrozen(error))
  }
  assert.equal(PEER_ERROR_STATUS_CODE, 503)
  assert.equal(PEER_ERROR_RESPONSE_MESSAGE, 'failure to get a peer from the ring-balancer')
})
