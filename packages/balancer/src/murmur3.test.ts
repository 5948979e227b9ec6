import { test } from 'node:test'
import assert from 'node:assert/strict'
import { murmur3, murmur3Bytes } from './murmur3.js'

// Published reference vectors for MurmurHash3_x86_32 (input as UTF-8, seed, expected).
const VECTORS: ReadonlyArray<readonly [string, number, number]> = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['aa', 0x9747b28c, 0x5d211726],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['ab', 0x9747b28c, 0x74875592],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
]

test('murmur3 matches the reference vectors', () => {
  for (const [input, seed, expected] of VECTORS) {
    assert.equal(murmur3(input, seed), expected, `string ${JSON.stringify(input)}`)
    const bytes = new TextEncoder().encode(input)
    assert.equal(murmur3Bytes(bytes, seed), expected, `bytes ${JSON.stringify(input)}`)
  }
})

test('murmur3 encodes non-ASCII in the tail and in blocks the same way', () => {
  for (const input of ['abcé', 'é', 'abcdé', 'éabcd', '日本語のキー', '\u{1f600}x']) {
    assert.equal(murmur3(input), murmur3Bytes(new TextEncoder().encode(input)), input)
  }
})

test('murmur3 spreads sequential keys over the 32-bit range', () => {
  const BUCKETS = 16
  const KEYS = 16_000
  const counts = new Array<number>(BUCKETS).fill(0)
  for (let i = 0; i < KEYS; i++) {
    const bucket = Math.floor((murmur3(`10.0.0.1:8000 ${i}`) / 2 ** 32) * BUCKETS)
    counts[bucket] = (counts[bucket] ?? 0) + 1
  }
  for (const c of counts) assert.ok(Math.abs(c - KEYS / BUCKETS) < (KEYS / BUCKETS) * 0.1, `${c}`)
})
