// Kong's list parameters: size bounds and messages, tags filter syntax, the offset token
// (base64 without padding of the JSON array of the last id) and the `next` link.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeOffset, encodeOffset, nextLink, parseSize, parseTags } from './pagination.js'

const ID = '6f0ef4b5-1c5a-4a8e-9b7e-0d1c2b3a4f5e'

test('parseSize: default 100, integers 1..1000, Kong messages otherwise', () => {
  const cases: [string | undefined, number | string][] = [
    [undefined, 100],
    ['1', 1],
    ['1000', 1000],
    ['1e2', 100],
    ['0', 'size must be an integer between 1 and 1000'],
    ['1001', 'size must be an integer between 1 and 1000'],
    ['2.5', 'size must be an integer between 1 and 1000'],
    ['-3', 'size must be an integer between 1 and 1000'],
    ['x', 'size must be a number'],
    ['', 'size must be a number'],
    ['0x10', 'size must be a number'],
  ]
  for (const [raw, expected] of cases) {
    const r = parseSize(raw)
    if (typeof expected === 'number') assert.deepEqual(r, { ok: true, size: expected }, String(raw))
    else assert.deepEqual(r, { ok: false, error: { code: 9, name: 'invalid size', message: expected } }, String(raw))
  }
})

test('parseTags: comma is AND, slash is OR, at most 5, no mixing', () => {
  const cases: [string | undefined, unknown][] = [
    [undefined, undefined],
    ['a', { mode: 'and', tags: ['a'] }],
    ['a,b', { mode: 'and', tags: ['a', 'b'] }],
    ['a/b', { mode: 'or', tags: ['a', 'b'] }],
    ['corp a', { mode: 'and', tags: ['corp a'] }],
    ['', 'cannot be null'],
    ['a,b/c', 'invalid filter syntax'],
    ['a,,b', 'invalid filter syntax'],
    ['/', 'invalid filter syntax'],
    ['a\u0001', 'invalid filter syntax'],
    ['a,b,c,d,e,f', 'cannot query more than 5 tags'],
  ]
  for (const [raw, expected] of cases) {
    const r = parseTags(raw)
    if (typeof expected === 'string') {
      assert.equal(r.ok, false, String(raw))
      assert.deepEqual(!r.ok && r.error.options, { tags: expected })
    } else {
      assert.deepEqual(r, expected ? { ok: true, tags: expected } : { ok: true }, String(raw))
    }
  }
})

test('offsets round-trip and reject what is not an id token', () => {
  const token = encodeOffset(ID)
  assert.equal(token, Buffer.from(JSON.stringify([ID])).toString('base64').replace(/=+$/, ''))
  assert.ok(!token.endsWith('='), 'no padding')
  assert.deepEqual(decodeOffset(token), { ok: true, id: ID })
  const padded = token + '='.repeat((4 - (token.length % 4)) % 4)
  assert.deepEqual(decodeOffset(padded), { ok: true, id: ID }, 'padding is accepted too')
  const cases: [string, string][] = [
    ['x', 'bad base64 encoding'],
    ['|potato|', 'bad base64 encoding'],
    [Buffer.from('hello').toString('base64'), 'bad json encoding'],
    [Buffer.from('["not-a-uuid"]').toString('base64'), 'bad json encoding'],
    [Buffer.from('{"id":1}').toString('base64'), 'bad json encoding'],
  ]
  for (const [offset, reason] of cases) {
    assert.deepEqual(decodeOffset(offset), {
      ok: false,
      error: { code: 7, name: 'invalid offset', message: `'${offset}' is not a valid offset: ${reason}` },
    })
  }
})

test('nextLink: offset, then tags, then size, each escaped', () => {
  assert.equal(nextLink('/routes', 'a+b/c'), '/routes?offset=a%2Bb%2Fc')
  assert.equal(nextLink('/routes', 'o', { tags: 'a b,c', size: '3' }), '/routes?offset=o&tags=a%20b%2Cc&size=3')
  assert.equal(nextLink('/routes', 'o', { size: '2' }), '/routes?offset=o&size=2')
})
