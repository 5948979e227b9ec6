// A minimal X.509 v3 certificate writer on node:crypto (which reads certificates but cannot
// make them): the self-signed default certificate a TLS listener serves when none is
// configured, and the certificates tests need (CA chains, RSA and ECDSA, expired ones) without
// an `openssl` binary. DER is written by hand for the few structures a certificate needs.

import { generateKeyPairSync, randomBytes, sign, type KeyObject, createPrivateKey } from 'node:crypto'
import { isIP } from 'node:net'

export interface CertificateOptions {
  /** Subject common name. */
  commonName: string
  /** DNS names and IP addresses for subjectAltName (defaults to the common name when a name). */
  altNames?: readonly string[]
  keyType?: 'rsa' | 'ec'
  /** Validity in ms since the epoch. */
  notBefore: number
  notAfter: number
  /** Marks the certificate as a CA (basic constraint CA:TRUE). */
  ca?: boolean
  /** Signs with this CA instead of self-signing; its certificate's subject becomes the issuer. */
  issuer?: { commonName: string; key: string }
}

export interface CertificatePair {
  /** PEM certificate. */
  cert: string
  /** PEM private key (PKCS#8). */
  key: string
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c)

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes = [40 * parts[0]! + parts[1]!]
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f]
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f))
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function integer(bytes: Buffer): Buffer {
  // Positive: a leading 1 bit needs a zero byte in front.
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString()
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '')
  const year = Number(iso.slice(0, 4))
  // RFC 5280: UTCTime through 2049, GeneralizedTime after.
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`))
}

const name = (cn: string) => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))))

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number))
  const [head = '', tail = ''] = ip.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value))
}

function signatureAlgorithm(key: KeyObject): Buffer {
  return key.asymmetricKeyType === 'ec'
    ? seq(oid('1.2.840.10045.4.3.2'))
    : seq(oid('1.2.840.113549.1.1.11'), tlv(0x05))
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

/** Creates a key pair and a certificate for it. */
export function createCertificate(opts: CertificateOptions): CertificatePair {
  const { privateKey, publicKey } =
    opts.keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signer = opts.issuer ? createPrivateKey(opts.issuer.key) : privateKey
  const altNames = opts.altNames ?? (isIP(opts.commonName) ? [] : [opts.commonName])
  const extensions: Buffer[] = [
    extension('2.5.29.19', true, opts.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()),
  ]
  if (altNames.length > 0) {
    const general = altNames.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii'))))
    extensions.push(extension('2.5.29.17', false, seq(...general)))
  }
  const serial = randomBytes(8)
  // Positive, and minimal DER: a zero first byte is padding OpenSSL's PEM reader refuses.
  serial[0] = (serial[0]! & 0x7f) | 0x01
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    signatureAlgorithm(signer),
    name(opts.issuer?.commonName ?? opts.commonName),
    seq(time(opts.notBefore), time(opts.notAfter)),
    name(opts.commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions))
  )
  const signature = sign('sha256', tbs, signer)
  const der = seq(tbs, signatureAlgorithm(signer), tlv(0x03, Buffer.from([0]), signature))
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

const DAY = 86_400_000

/** The certificate a TLS listener serves when none is configured, as Kong generates at start. */
export function selfSignedDefault(now: number): CertificatePair {
  return createCertificate({
    commonName: 'localhost',
    altNames: ['localhost'],
    notBefore: now - DAY,
    notAfter: now + 3650 * DAY,
  })
}
