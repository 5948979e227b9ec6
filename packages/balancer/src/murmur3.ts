// MurmurHash3, x86 32-bit variant, written from Austin Appleby's published description. Used to
// place points on the consistent-hashing ring and to map a request's hash value onto it: it is
// fast, non-cryptographic, has good avalanche (sequential keys like "a:1 0", "a:1 1" spread over
// the whole ring) and gives the same answer on every node, which is all the ring needs.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593
const FMIX1 = 0x85ebca6b
const FMIX2 = 0xc2b2ae35
const BLOCK_ADD = 0xe6546b64

const UTF8 = new TextEncoder()

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

// One 4-byte block scrambled into the running state.
function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1)
  k = rotl32(k, 15)
  k = Math.imul(k, C2)
  h ^= k
  h = rotl32(h, 13)
  return (Math.imul(h, 5) + BLOCK_ADD) | 0
}

// Trailing 1..3 bytes (already packed little-endian into k) and the final avalanche.
function finish(h: number, tail: number, tailLength: number, length: number): number {
  if (tailLength > 0) {
    tail = Math.imul(tail, C1)
    tail = rotl32(tail, 15)
    tail = Math.imul(tail, C2)
    h ^= tail
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, FMIX1)
  h ^= h >>> 13
  h = Math.imul(h, FMIX2)
  h ^= h >>> 16
  return h >>> 0
}

/** MurmurHash3 x86_32 of raw bytes; returns an unsigned 32-bit integer. */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  const length = bytes.length
  const blocksEnd = length & ~3
  let h = seed | 0
  for (let i = 0; i < blocksEnd; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    h = mixBlock(h, k)
  }
  let tail = 0
  const tailLength = length & 3
  for (let i = tailLength - 1; i >= 0; i--) tail = (tail << 8) | bytes[blocksEnd + i]!
  return finish(h, tail, tailLength, length)
}

/**
 * MurmurHash3 x86_32 of a string's UTF-8 bytes; returns an unsigned 32-bit integer.
 * ASCII input (the common case: addresses, ids, header values) is hashed straight from char codes
 * without allocating; anything else is encoded first so the result matches the byte definition.
 */
export function murmur3(text: string, seed = 0): number {
  const length = text.length
  const blocksEnd = length & ~3
  let h = seed | 0
  let i = 0
  for (; i < blocksEnd; i += 4) {
    const c0 = text.charCodeAt(i)
    const c1 = text.charCodeAt(i + 1)
    const c2 = text.charCodeAt(i + 2)
    const c3 = text.charCodeAt(i + 3)
    if ((c0 | c1 | c2 | c3) > 0x7f) return murmur3Bytes(UTF8.encode(text), seed)
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24))
  }
  let tail = 0
  for (let j = length - 1; j >= blocksEnd; j--) {
    const c = text.charCodeAt(j)
    if (c > 0x7f) return murmur3Bytes(UTF8.encode(text), seed)
    tail = (tail << 8) | c
  }
  return finish(h, tail, length - blocksEnd, length)
}
