import assert from 'node:assert/strict'
import { test } from 'node:test'
import { multipartArgs, multipartBoundary, multipartWithout, parseMultipart } from './multipart.js'

const body = (b: string) =>
  Buffer.from(
    `--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="apikey"\r\n\r\nk\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01--${b}x\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\n2\r\n` +
      `--${b}--\r\n`
  )

test('boundaries from Content-Type', () => {
  assert.equal(multipartBoundary('multipart/form-data; boundary=AbC'), 'AbC')
  assert.equal(multipartBoundary('multipart/form-data; charset=utf-8; boundary="q q"'), 'q q')
  assert.equal(multipartBoundary('multipart/mixed; boundary=x'), undefined)
  assert.equal(multipartBoundary('multipart/form-data'), undefined)
  assert.equal(multipartBoundary(undefined), undefined)
  assert.equal(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`), undefined)
})

test('fields by name, files skipped, repeats as lists', () => {
  const parts = parseMultipart(body('B'), 'B')!
  assert.equal(parts.length, 4)
  assert.deepEqual(multipartArgs(parts), { a: ['1', '2'], apikey: 'k' })
})

test('a body without one field keeps every other part byte for byte', () => {
  const parts = parseMultipart(body('B'), 'B')!
  const out = multipartWithout(parts, 'B', 'apikey')
  assert.equal(out.toString('latin1'), body('B').toString('latin1').replace('--B\r\nContent-Disposition: form-data; name="apikey"\r\n\r\nk\r\n', ''))
  assert.deepEqual(multipartArgs(parseMultipart(out, 'B')!), { a: ['1', '2'] })
})

test('malformed bodies have no parts', () => {
  for (const bad of ['', 'junk', '--B\r\nno headers end', '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated', 'x--B\r\n']) {
    assert.equal(parseMultipart(Buffer.from(bad), 'B'), undefined, JSON.stringify(bad))
  }
  assert.deepEqual(parseMultipart(Buffer.from('--B--\r\n'), 'B'), [])
})
