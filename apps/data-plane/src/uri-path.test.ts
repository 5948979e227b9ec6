import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { escapePath, normalizePath, toByteString } from './uri-path.js'

describe('normalizePath', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['/', '/'],
    ['/plain/path', '/plain/path'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/..', '/'],
    ['/../../a', '/a'],
    ['/a//b///c', '/a/b/c'],
    ['//', '/'],
    ['/a/', '/a/'],
    ['/a/...', '/a/...'],
    ['/a/..b', '/a/..b'],
    ['/%61%62', '/ab'],
    ['/%2e%2e/a', '/a'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%3Fb%25', '/a%3Fb%25'],
    ['/a%20b', '/a b'],
    ['/caf%C3%A9', '/caf\u00c3\u00a9'],
    ['/bad%zz', '/bad%zz'],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizePath(input), expected)
    })
  }
})

describe('escapePath', () => {
  const cases: [string, string][] = [
    ['/safe/~-._!$&\'()*+,;=:@', '/safe/~-._!$&\'()*+,;=:@'],
    ['/a b', '/a%20b'],
    ['/a%2Fb', '/a%2Fb'],
    ['/q"<>\\^`{|}', '/q%22%3C%3E%5C%5E%60%7B%7C%7D'],
    ['/caf\u00c3\u00a9', '/caf%C3%A9'],
    ['/caf\u00e9', '/caf%E9'],
    ['/\u4e2d', '/%E4%B8%AD'],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(escapePath(input), expected)
    })
  }

  it('round-trips a percent-encoded UTF-8 path byte for byte', () => {
    assert.equal(escapePath(normalizePath('/caf%c3%a9/%E2%82%AC')), '/caf%C3%A9/%E2%82%AC')
  })
})

describe('toByteString', () => {
  it('keeps ASCII and spells other characters as their UTF-8 bytes', () => {
    assert.equal(toByteString('/api'), '/api')
    assert.equal(toByteString('/café'), '/caf\u00c3\u00a9')
  })
})
