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
    // Kong 3.9 kong/tools/uri.lua normalize(uri, true), as the router calls it: triplets of
    // unreserved and "other" characters are decoded (hex case-insensitive) before dot segments
    // are removed, so encoded dots are dots; reserved ones stay encoded, upper-cased.
    ['/v1/../admin', '/admin'],
    ['/v1/%2e%2e/admin', '/admin'],
    ['/v1/%2E%2E/admin', '/admin'],
    ['/v1/.%2e/admin', '/admin'],
    ['/v1/%2e/admin', '/v1/admin'],
    ['/v1%2f..%2fadmin', '/v1%2F..%2Fadmin'],
    ['/v1/..%2fadmin', '/v1/..%2Fadmin'],
    ['//admin', '/admin'],
    ['/v1//..//admin', '/admin'],
    ['/a/b/../../..', '/'],
    ['/a/b/../../../c', '/c'],
    ['/a/./b/./', '/a/b/'],
    ['/a/b//', '/a/b/'],
    ['/%41%42%43', '/ABC'],
    ['/%7e%2D%5f', '/~-_'],
    ['/a%00b', '/a\u0000b'],
    ['/a%3a%40', '/a%3A%40'],
    ['/%25%32%65', '/%252e'],
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
