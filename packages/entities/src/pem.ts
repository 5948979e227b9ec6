// PEM certificates and keys, read with node:crypto the way Kong reads them with resty.openssl:
// the checks behind typedefs.certificate / typedefs.key, the certificate ↔ key match and the
// facts the certificate entities need (key type, CA flag, expiry, SHA-256 digest).
// Parsing only: no I/O, and nothing here ever puts key material into a message.

import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'

/** OpenSSL's reason, as resty.openssl reports it (node capitalises the leading "error"). */
function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg.replace(/^Error:/, 'error:')
}

export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem)
  } catch {
    return undefined
  }
}

export function parsePrivateKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem)
  } catch {
    return undefined
  }
}

/** typedefs.certificate: Kong's message when `pem` is not a readable certificate. */
export function checkCertificatePem(pem: string): string | undefined {
  try {
    new X509Certificate(pem)
    return undefined
  } catch (err) {
    return `invalid certificate: x509.new: ${reason(err)}`
  }
}

/** typedefs.key: Kong's message when `pem` is not a readable private key. */
export function checkKeyPem(pem: string): string | undefined {
  try {
    createPrivateKey(pem)
    return undefined
  } catch (err) {
    return `invalid key: pkey.new:load_key: ${reason(err)}`
  }
}

/** True when the certificate's public key is the public half of `keyPem`. */
export function certificateMatchesKey(certPem: string, keyPem: string): boolean {
  const cert = parseCertificate(certPem)
  const key = parsePrivateKey(keyPem)
  if (!cert || !key) return false
  try {
    return cert.checkPrivateKey(key)
  } catch {
    return false
  }
}

/** The certificate's public key algorithm ("rsa", "ec", "ed25519", …). */
export function certificateKeyType(certPem: string): string | undefined {
  return parseCertificate(certPem)?.publicKey.asymmetricKeyType
}

/** Lower-case hex SHA-256 of the certificate's DER, as Kong's `cert_digest`. */
export function certificateDigest(certPem: string): string | undefined {
  const cert = parseCertificate(certPem)
  return cert ? createHash('sha256').update(cert.raw).digest('hex') : undefined
}
