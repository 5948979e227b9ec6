import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clientResponseHead } from './headers.js'

const base = { plugin: undefined, via: '1.1 kong/3.9.3', upstreamLatencyMs: 2.4, proxyLatencyMs: 0.6, setCookie: undefined }

test('clientResponseHead drops hop-by-hop headers and those named in Connection, then adds Via and latencies', () => {
  const head = clientResponseHead(
    { 'content-type': 'text/plain', connection: 'x-private', 'x-private': '1', 'keep-alive': 'timeout=5', via: 'upstream', 'set-cookie': ['a=1', 'b=2'] },
    base
  )
  assert.deepEqual(head, [
    'content-type', 'text/plain',
    'set-cookie', ['a=1', 'b=2'],
    'via', '1.1 kong/3.9.3',
    'x-kong-upstream-latency', '2',
    'x-kong-proxy-latency', '1',
  ])
})

test('plugin headers replace upstream ones of any case; the balancer cookie replaces Set-Cookie', () => {
  const head = clientResponseHead(
    { 'x-ratelimit-limit': '9', 'set-cookie': 'up=1', server: 'up' },
    { ...base, plugin: { 'X-RateLimit-Limit': '5', Via: 'plugin' }, setCookie: 'lb=abc' }
  )
  assert.deepEqual(head, [
    'server', 'up',
    'X-RateLimit-Limit', '5',
    'via', '1.1 kong/3.9.3',
    'x-kong-upstream-latency', '2',
    'x-kong-proxy-latency', '1',
    'set-cookie', 'lb=abc',
  ])
})
