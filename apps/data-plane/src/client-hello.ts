// Reads the server name (SNI) from the start of a TLS connection: the ClientHello, possibly
// split over several handshake records. The TLS listener picks the certificate from it before
// the handshake starts, because node applies only one key pair of a context chosen later by
// SNICallback, and a certificate with an RSA and an ECDSA pair needs both. Pure: bytes in,
// verdict out.

/** Largest ClientHello we wait for (post-quantum key shares make them a few KB). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024

export type ClientHelloResult =
  | { kind: 'more' }
  | { kind: 'not-tls' }
  /** `servername` is undefined when the client sent none (or the hello is malformed). */
  | { kind: 'hello'; servername: string | undefined }

const HANDSHAKE = 0x16
const CLIENT_HELLO = 0x01
const SERVER_NAME = 0x0000
const HOST_NAME = 0x00

/** Joins the handshake bytes of the complete records at the start of `buf`. */
function handshakeBytes(buf: Buffer): Buffer | 'not-tls' {
  if (buf.length > 0 && buf[0] !== HANDSHAKE) return 'not-tls'
  const parts: Buffer[] = []
  let offset = 0
  while (offset + 5 <= buf.length) {
    if (buf[offset] !== HANDSHAKE) return 'not-tls'
    const len = buf.readUInt16BE(offset + 3)
    if (offset + 5 + len > buf.length) break
    parts.push(buf.subarray(offset + 5, offset + 5 + len))
    offset += 5 + len
  }
  return Buffer.concat(parts)
}

function sniOf(hello: Buffer): string | undefined {
  // client_version(2) random(32) session_id(1+n) cipher_suites(2+n) compression(1+n) extensions(2+n)
  let p = 34
  if (p + 1 > hello.length) return undefined
  p += 1 + hello[p]!
  if (p + 2 > hello.length) return undefined
  p += 2 + hello.readUInt16BE(p)
  if (p + 1 > hello.length) return undefined
  p += 1 + hello[p]!
  if (p + 2 > hello.length) return undefined
  const end = Math.min(hello.length, p + 2 + hello.readUInt16BE(p))
  p += 2
  while (p + 4 <= end) {
    const type = hello.readUInt16BE(p)
    const len = hello.readUInt16BE(p + 2)
    p += 4
    if (type === SERVER_NAME && p + 2 <= end) {
      let q = p + 2
      const listEnd = Math.min(end, q + hello.readUInt16BE(p))
      while (q + 3 <= listEnd) {
        const nameType = hello[q]!
        const nameLen = hello.readUInt16BE(q + 1)
        q += 3
        if (q + nameLen > listEnd) return undefined
        if (nameType === HOST_NAME) return hello.toString('latin1', q, q + nameLen)
        q += nameLen
      }
      return undefined
    }
    p += len
  }
  return undefined
}

/** What the first bytes of a connection say: wait for more, not TLS, or the hello's SNI. */
export function readClientHello(buf: Buffer): ClientHelloResult {
  const data = handshakeBytes(buf)
  if (data === 'not-tls') return { kind: 'not-tls' }
  if (data.length < 4) return buf.length >= MAX_CLIENT_HELLO_BYTES ? { kind: 'not-tls' } : { kind: 'more' }
  if (data[0] !== CLIENT_HELLO) return { kind: 'not-tls' }
  const len = (data[1]! << 16) | (data[2]! << 8) | data[3]!
  if (data.length < 4 + len) {
    return buf.length >= MAX_CLIENT_HELLO_BYTES || len > MAX_CLIENT_HELLO_BYTES ? { kind: 'not-tls' } : { kind: 'more' }
  }
  return { kind: 'hello', servername: sniOf(data.subarray(4, 4 + len)) }
}
