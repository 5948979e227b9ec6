import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_PROXY_LIMITS, parseHeaderBuffers, parseNginxSize, parseNginxTime, parseProxyLimits } from './proxy-limits.js'

describe('parseNginxSize', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['512', 512],
    ['8k', 8192],
    ['8K', 8192],
    ['10m', 10 * 1024 * 1024],
    ['1g', 1024 ** 3],
    [' 2k ', 2048],
  ]
  for (const [text, bytes] of cases) it(`${JSON.stringify(text)} → ${bytes}`, () => assert.equal(parseNginxSize(text), bytes))
  for (const bad of ['', 'k', '-1', '1.5m', '10mb', '1 k']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseNginxSize(bad)))
  }
})

describe('parseNginxTime', () => {
  const cases: [string, number][] = [
    ['60', 60_000],
    ['60s', 60_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['0', 0],
  ]
  for (const [text, ms] of cases) it(`${JSON.stringify(text)} → ${ms}`, () => assert.equal(parseNginxTime(text), ms))
  for (const bad of ['', 's', '1x', '-5', '1.5s']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseNginxTime(bad)))
  }
})

describe('parseHeaderBuffers', () => {
  it('reads "<count> <size>"', () => {
    assert.deepEqual(parseHeaderBuffers('4 8k'), { lineBytes: 8192, totalBytes: 32768 })
    assert.deepEqual(parseHeaderBuffers('2  16k'), { lineBytes: 16384, totalBytes: 32768 })
  })
  for (const bad of ['8k', '0 8k', 'x 8k', '4 0', '4 8k 1']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseHeaderBuffers(bad)))
  }
})

describe('parseProxyLimits', () => {
  it("has nginx's and Kong's defaults", () => {
    assert.deepEqual(parseProxyLimits({}), DEFAULT_PROXY_LIMITS)
    assert.equal(DEFAULT_PROXY_LIMITS.maxBodyBytes, 0)
    assert.equal(DEFAULT_PROXY_LIMITS.headerLineBytes, 8192)
    assert.equal(DEFAULT_PROXY_LIMITS.headerTotalBytes, 32768)
    assert.equal(DEFAULT_PROXY_LIMITS.headerTimeoutMs, 60_000)
    assert.equal(DEFAULT_PROXY_LIMITS.keepAliveTimeoutMs, 75_000)
  })

  it('overrides each setting', () => {
    assert.deepEqual(
      parseProxyLimits({
        clientMaxBodySize: '1m',
        largeClientHeaderBuffers: '8 16k',
        clientHeaderTimeout: '5s',
        clientBodyTimeout: '10',
        keepaliveTimeout: '1m',
      }),
      {
        maxBodyBytes: 1024 * 1024,
        headerLineBytes: 16384,
        headerTotalBytes: 8 * 16384,
        headerTimeoutMs: 5000,
        bodyTimeoutMs: 10_000,
        keepAliveTimeoutMs: 60_000,
      }
    )
  })

  it('names the variable of a bad value', () => {
    assert.throws(() => parseProxyLimits({ clientMaxBodySize: 'lots' }), /KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE/)
    assert.throws(() => parseProxyLimits({ clientHeaderTimeout: 'soon' }), /KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT/)
  })

  it('treats empty values as unset', () => {
    assert.deepEqual(parseProxyLimits({ clientMaxBodySize: '', keepaliveTimeout: ' ' }), DEFAULT_PROXY_LIMITS)
  })
})
