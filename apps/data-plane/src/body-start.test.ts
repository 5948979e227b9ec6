import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { readStart } from './body-start.js'

test('first chunk: resolves on the first write and pauses the rest', async () => {
  const s = new PassThrough()
  const p = readStart(s, false)
  s.write('a')
  s.write('b')
  const r = await p
  assert.deepEqual(r.chunks.map(String), ['a'])
  assert.equal(r.ended, false)
  r.release()
  const rest: string[] = []
  s.on('data', (c) => rest.push(String(c)))
  s.resume()
  s.end('c')
  await new Promise((r2) => s.once('end', r2))
  assert.equal(rest.join(''), 'bc')
})

test('whole small body: reads to the end', async () => {
  const s = new PassThrough()
  const p = readStart(s, true)
  s.write('{"a":')
  s.end('1}')
  const r = await p
  assert.equal(Buffer.concat(r.chunks).toString(), '{"a":1}')
  assert.equal(r.ended, true)
})

test('oversized body: stops at the cap, nothing lost', async () => {
  const s = new PassThrough()
  const p = readStart(s, true, 4)
  s.write('12345')
  const r = await p
  assert.equal(r.ended, false)
  assert.equal(Buffer.concat(r.chunks).toString(), '12345')
})

test('failure before the first byte is reported', async () => {
  const s = new PassThrough()
  const p = readStart(s, false)
  s.destroy(new Error('boom'))
  const r = await p
  assert.equal((r.error as Error).message, 'boom')
  assert.deepEqual(r.chunks, [])
})

test('an empty body ends without chunks', async () => {
  const s = new PassThrough()
  const p = readStart(s, false)
  s.end()
  const r = await p
  assert.deepEqual([r.chunks, r.ended], [[], true])
})

test('an end that comes right after the first chunk is still seen', async () => {
  const s = new PassThrough()
  const p = readStart(s, false)
  s.end('only')
  const r = await p
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual([r.chunks.map(String), r.ended], [['only'], true])
  r.release()
})
