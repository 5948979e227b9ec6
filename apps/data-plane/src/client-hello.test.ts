// readClientHello on ClientHellos node's TLS client really sends (captured on a raw socket),
// fed whole, byte by byte and re-split into several records; and on bytes that are not TLS.

import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import tls from 'node:tls'
import { readClientHello } from './client-hello.js'

/** The first flight a TLS client sends with these options. */
async function capture(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (s) => {
      let buf = Buffer.alloc(0)
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c])
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf)
          s.destroy()
        }
      })
    })
  })
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
  client.on('error', () => {})
  const hello = await got
  client.destroy()
  server.close()
  return hello
}

/** The same handshake bytes re-framed as records of at most `size` bytes. */
function reframe(flight: Buffer, size: number): Buffer {
  const handshake = flight.subarray(5, 5 + flight.readUInt16BE(3))
  const records: Buffer[] = []
  for (let i = 0; i < handshake.length; i += size) {
    const part = handshake.subarray(i, i + size)
    const header = Buffer.from([0x16, flight[1]!, flight[2]!, 0, 0])
    header.writeUInt16BE(part.length, 3)
    records.push(header, part)
  }
  return Buffer.concat(records)
}

test('the SNI of real ClientHellos, whole, in pieces and over several records', async () => {
  const cases: [tls.ConnectionOptions, string | undefined][] = [
    [{ servername: 'a.example.test' }, 'a.example.test'],
    [{ servername: 'X.Wild.Test', ALPNProtocols: ['h2', 'http/1.1'] }, 'X.Wild.Test'],
    [{ servername: 'v12.test', maxVersion: 'TLSv1.2' }, 'v12.test'],
    // node sends no SNI for an IP address.
    [{ host: '127.0.0.1' }, undefined],
  ]
  for (const [options, expected] of cases) {
    const flight = await capture(options)
    assert.deepEqual(readClientHello(flight), { kind: 'hello', servername: expected })
    for (let n = 0; n < flight.length; n += 7) {
      assert.deepEqual(readClientHello(flight.subarray(0, n)), { kind: 'more' }, `prefix of ${n} bytes`)
    }
    const split = reframe(flight, 100)
    assert.deepEqual(readClientHello(split), { kind: 'hello', servername: expected })
    assert.deepEqual(readClientHello(split.subarray(0, split.length - 1)), { kind: 'more' })
  }
})

test('bytes that are not a TLS ClientHello', () => {
  assert.deepEqual(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')), { kind: 'not-tls' })
  assert.deepEqual(readClientHello(Buffer.from([0x17, 3, 3, 0, 1, 0])), { kind: 'not-tls' })
  // A handshake record holding another message than ClientHello.
  assert.deepEqual(readClientHello(Buffer.from([0x16, 3, 1, 0, 4, 0x02, 0, 0, 0])), { kind: 'not-tls' })
  // A ClientHello claiming more than we ever wait for.
  assert.deepEqual(readClientHello(Buffer.from([0x16, 3, 1, 0, 4, 0x01, 0x7f, 0xff, 0xff])), { kind: 'not-tls' })
  // Truncated inside: a complete but malformed hello has no SNI rather than an error.
  assert.deepEqual(readClientHello(Buffer.from([0x16, 3, 1, 0, 6, 0x01, 0, 0, 2, 3, 3])), { kind: 'hello', servername: undefined })
  assert.deepEqual(readClientHello(Buffer.alloc(0)), { kind: 'more' })
})
