import assert from 'node:assert/strict'
import type { Readable } from 'node:stream'
import { test } from 'node:test'
import { upstreamBody, WATCHED_BODY_MIN_BYTES, WRITE_TIMEOUT_CODE } from './upstream-body.js'

test('small bodies go out as they are', () => {
  const b = Buffer.alloc(1000, 1)
  assert.equal(upstreamBody(b, 100), b)
  const big = Buffer.alloc(WATCHED_BODY_MIN_BYTES, 1)
  assert.equal(upstreamBody(big, 0), big, 'write_timeout 0: no watch')
})

test('a large body streams out byte for byte', async () => {
  const b = Buffer.from(Array.from({ length: WATCHED_BODY_MIN_BYTES * 3 + 17 }, (_, i) => i % 251))
  const s = upstreamBody(b, 1000) as Readable
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  assert.ok(Buffer.concat(chunks).equals(b))
})

test('a reader that stops pulling fails the stream with a write timeout', async () => {
  const s = upstreamBody(Buffer.alloc(WATCHED_BODY_MIN_BYTES * 2), 60) as Readable
  // The watch timer is unref'd (it never holds a process open); this test holds the loop.
  const hold = setTimeout(() => {}, 2000)
  const started = performance.now()
  const err = await new Promise<Error & { code?: string }>((resolve) => {
    s.once('error', resolve)
    // Pull once, then never again (what a full socket looks like to the connection).
    s.read(1)
  })
  clearTimeout(hold)
  assert.equal(err.code, WRITE_TIMEOUT_CODE)
  assert.ok(performance.now() - started < 1000)
})
