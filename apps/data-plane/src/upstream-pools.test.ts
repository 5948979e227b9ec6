import { startUpstream } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { describe, it, test } from 'node:test'
import { exchange } from './test-fixtures.js'
import { classifyError, POOL_IDLE_CLOSE_MS, UpstreamPools } from './upstream-pools.js'

const T = { connectMs: 1000, readMs: 1000 }

test('one pool per address and timeouts; idle pools are closed, busy ones kept', async () => {
  let clock = 0
  const pools = new UpstreamPools(() => clock)
  const slow = await startUpstream('slow', (_req, res) => {
    setTimeout(() => res.end('ok'), 300)
  })
  try {
    const a = pools.get('127.0.0.1', slow.port, T)
    assert.equal(pools.get('127.0.0.1', slow.port, T), a, 'same pool for the same address and timeouts')
    assert.notEqual(pools.get('127.0.0.1', slow.port, { ...T, readMs: 5 }), a)
    pools.get('127.0.0.1', 1, T)
    assert.equal(pools.size, 3)
    // A request in flight on `a` keeps it, even when it looks idle by time.
    const inFlight = exchange(a, { path: '/' })
    clock = POOL_IDLE_CLOSE_MS + 1
    assert.equal(await pools.prune(), 2)
    assert.equal(pools.size, 1)
    const res = await inFlight
    assert.equal(res.body, 'ok')
    // Used again recently: not closed; then idle long enough: closed.
    pools.get('127.0.0.1', slow.port, T)
    assert.equal(await pools.prune(), 0)
    clock += POOL_IDLE_CLOSE_MS + 1
    assert.equal(await pools.prune(), 1)
    assert.equal(pools.size, 0)
  } finally {
    await pools.close()
    await slow.close()
  }
})

describe('classifyError', () => {
  // What the proxy answers follows: timeout → 504 "The upstream server is timing out",
  // anything else → 502.
  const cases: [string | undefined, string][] = [
    ['SWITCHYARD_CONNECT_TIMEOUT', 'timeout'],
    ['SWITCHYARD_HEADERS_TIMEOUT', 'timeout'],
    ['SWITCHYARD_BODY_TIMEOUT', 'timeout'],
    ['SWITCHYARD_WRITE_TIMEOUT', 'timeout'],
    ['ECONNREFUSED', 'connect'],
    ['ENOTFOUND', 'connect'],
    ['EHOSTUNREACH', 'connect'],
    ['EAI_AGAIN', 'connect'],
    ['ECONNRESET', 'reset'],
    ['SWITCHYARD_BAD_RESPONSE', 'reset'],
    ['SWITCHYARD_UPSTREAM_CLOSED', 'reset'],
    [undefined, 'reset'],
  ]
  for (const [code, kind] of cases) {
    it(`${code ?? '(no code)'} → ${kind}`, () => assert.equal(classifyError(Object.assign(new Error('x'), { code })), kind))
  }
})
