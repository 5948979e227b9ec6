// Identifier selection with fallback to the client IP, and the counter key format.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RateLimitingConfig } from './config.js'
import { identifierFor, normalizeIp, type IdentifierRequest } from './identifier.js'
import { counterKey, NULL_UUID } from './keys.js'

const SERVICE = '5b1d1a8f-6a0e-4c8f-9f43-3c5f0d1e2a10'

function req(over: Partial<IdentifierRequest> & { headers?: Record<string, string> } = {}): IdentifierRequest {
  const headers = over.headers ?? {}
  return {
    clientIp: '10.1.2.3',
    serviceId: SERVICE,
    path: '/v1/chat',
    header: (name) => headers[name.toLowerCase()],
    ...over,
  }
}

type Conf = Pick<RateLimitingConfig, 'limit_by' | 'header_name' | 'path'>
const conf = (c: Partial<Conf>): Conf => ({ limit_by: 'consumer', header_name: null, path: null, ...c })

describe('identifierFor', () => {
  const cases: { name: string; config: Conf; req: IdentifierRequest; expected: string }[] = [
    { name: 'ip', config: conf({ limit_by: 'ip' }), req: req(), expected: '10.1.2.3' },
    { name: 'consumer without auth falls back to the ip', config: conf({ limit_by: 'consumer' }), req: req(), expected: '10.1.2.3' },
    { name: 'consumer', config: conf({ limit_by: 'consumer' }), req: req({ consumerId: 'c-1' }), expected: 'c-1' },
    { name: 'consumer falls back to the credential', config: conf({ limit_by: 'consumer' }), req: req({ credentialId: 'cred-1' }), expected: 'cred-1' },
    { name: 'credential without auth falls back to the ip', config: conf({ limit_by: 'credential' }), req: req(), expected: '10.1.2.3' },
    { name: 'service', config: conf({ limit_by: 'service' }), req: req(), expected: SERVICE },
    { name: 'service missing falls back to the ip', config: conf({ limit_by: 'service' }), req: req({ serviceId: null }), expected: '10.1.2.3' },
    { name: 'header present (name matched case-insensitively)', config: conf({ limit_by: 'header', header_name: 'X-Api-Key' }), req: req({ headers: { 'x-api-key': 'k1' } }), expected: 'k1' },
    { name: 'header absent falls back to the ip', config: conf({ limit_by: 'header', header_name: 'X-Api-Key' }), req: req(), expected: '10.1.2.3' },
    { name: 'path equal to config.path', config: conf({ limit_by: 'path', path: '/v1/chat' }), req: req(), expected: '/v1/chat' },
    { name: 'another path falls back to the ip', config: conf({ limit_by: 'path', path: '/v1/other' }), req: req(), expected: '10.1.2.3' },
    { name: 'IPv4-mapped IPv6 client reads as IPv4', config: conf({ limit_by: 'ip' }), req: req({ clientIp: '::ffff:127.0.0.1' }), expected: '127.0.0.1' },
    { name: 'plain IPv6 client stays', config: conf({ limit_by: 'ip' }), req: req({ clientIp: '::1' }), expected: '::1' },
  ]
  for (const c of cases) {
    test(c.name, () => assert.equal(identifierFor(c.config, c.req), c.expected))
  }

  test('normalizeIp leaves non-mapped addresses alone', () => {
    assert.equal(normalizeIp('::ffff:abcd'), '::ffff:abcd')
    assert.equal(normalizeIp('192.168.0.1'), '192.168.0.1')
  })
})

describe('counterKey', () => {
  test("Kong's format with the null UUID for an unscoped instance", () => {
    assert.equal(
      counterKey({ route: null, service: null }, '127.0.0.1', 1719835260000, 'minute'),
      'ratelimit:00000000-0000-0000-0000-000000000000:00000000-0000-0000-0000-000000000000:127.0.0.1:1719835260000:minute'
    )
  })

  test('route- and service-scoped instances use their ids', () => {
    assert.equal(counterKey({ route: 'r-1', service: null }, 'id', 1, 'second'), `ratelimit:r-1:${NULL_UUID}:id:1:second`)
    assert.equal(counterKey({ route: null, service: 's-1' }, 'id', 2, 'year'), `ratelimit:${NULL_UUID}:s-1:id:2:year`)
    assert.equal(counterKey({ route: 'r-1', service: 's-1' }, 'id', 3, 'day'), 'ratelimit:r-1:s-1:id:3:day')
  })
})
