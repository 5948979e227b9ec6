// Kong's ssl_cert / ssl_cert_key (KONG_SSL_CERT, KONG_SSL_CERT_KEY): comma-separated lists of
// PEM files, or PEM text itself, or base64 of PEM text, paired by position. They make the
// default certificate of the TLS proxy listeners; without them a self-signed one is generated.

import { readFileSync } from 'node:fs'
import type { CertificateChain } from './tls-certificates.js'

function pemOf(value: string, what: string): string {
  const v = value.trim()
  if (v.startsWith('-----BEGIN')) return v
  try {
    return readFileSync(v, 'utf8')
  } catch (err) {
    // Not a readable file: Kong also takes the PEM base64-encoded.
    const decoded = Buffer.from(v, 'base64').toString('utf8')
    if (decoded.startsWith('-----BEGIN')) return decoded
    throw new Error(`${what}: cannot read '${v}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/** The configured default certificate, or undefined when neither variable is set. */
export function parseSslCertificate(cert: string | undefined, key: string | undefined): CertificateChain | undefined {
  if (!cert && !key) return undefined
  if (!cert) throw new Error('KONG_SSL_CERT must be specified when KONG_SSL_CERT_KEY is')
  if (!key) throw new Error('KONG_SSL_CERT_KEY must be specified when KONG_SSL_CERT is')
  // PEM text holds no commas, so a comma always separates list entries.
  const certs = cert.split(',').map((c) => pemOf(c, 'KONG_SSL_CERT'))
  const keys = key.split(',').map((k) => pemOf(k, 'KONG_SSL_CERT_KEY'))
  if (certs.length !== keys.length) throw new Error('KONG_SSL_CERT and KONG_SSL_CERT_KEY must have the same number of entries')
  return { cert: certs, key: keys }
}
