// TLS between control plane and data planes, in the shape of Kong's `cluster_mtls = shared`:
// every node holds the same certificate and key (KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY).
// The control plane serves it on the cluster listener and asks each client for it; a data plane
// trusts a server only when it presents exactly that certificate, and presents it in turn. The
// bearer cluster token is checked on top. Plain HTTP happens only when a node is told so.

import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { PeerCertificate } from 'node:tls'

/** The server name a data plane asks for, as Kong does in shared mode. */
export const CLUSTER_SERVER_NAME = 'kong_clustering'

export interface ClusterTls {
  cert: string
  key: string
  /** SHA-256 fingerprint of `cert`, in Node's colon-separated upper-case hex. */
  fingerprint256: string
}

/** A PEM value given inline, or read from the file it names (Kong's settings are paths). */
function pem(value: string, what: string): string {
  if (value.trimStart().startsWith('-----BEGIN')) return value
  try {
    return readFileSync(value, 'utf8')
  } catch (err) {
    throw new Error(`${what}: cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/**
 * The cluster certificate from KONG_CLUSTER_CERT / KONG_CLUSTER_CERT_KEY, or undefined when
 * neither is set. One without the other, an unreadable file or a certificate that does not
 * parse is a configuration error.
 */
export function loadClusterTls(certValue: string | undefined, keyValue: string | undefined): ClusterTls | undefined {
  if (!certValue && !keyValue) return undefined
  if (!certValue || !keyValue) throw new Error('KONG_CLUSTER_CERT and KONG_CLUSTER_CERT_KEY must be set together')
  const cert = pem(certValue, 'KONG_CLUSTER_CERT')
  const key = pem(keyValue, 'KONG_CLUSTER_CERT_KEY')
  let fingerprint256: string
  try {
    fingerprint256 = new X509Certificate(cert).fingerprint256
  } catch (err) {
    throw new Error(`KONG_CLUSTER_CERT is not a PEM certificate: ${(err as Error).message}`)
  }
  return { cert, key, fingerprint256 }
}

/** True when the peer presented exactly the shared cluster certificate. */
export function isClusterPeer(peer: PeerCertificate | undefined, tls: ClusterTls): boolean {
  return peer?.fingerprint256 !== undefined && peer.fingerprint256 === tls.fingerprint256
}

/** `on`/`true`/`1` (any case) means yes. */
export function isOn(value: string | undefined): boolean {
  return value !== undefined && ['on', 'true', '1', 'yes'].includes(value.trim().toLowerCase())
}
