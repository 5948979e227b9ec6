// The certificates a TLS proxy listener serves: a secure context per certificate entity (its
// RSA/ECDSA pair and alternative), chosen by the client's SNI through the SNI entities in
// Kong's order, else the default certificate (KONG_SSL_CERT, or a self-signed one). Contexts
// are built on first use and rebuilt when certificates or SNIs change.

import type { Logger } from '@switchyard/log'
import tls from 'node:tls'
import type { ConfigState } from './config-state.js'
import { sniCandidates } from './sni-candidates.js'

/** PEM certificate chains and keys, in pairs (Kong's ssl_cert / ssl_cert_key lists). */
export interface CertificateChain {
  cert: string[]
  key: string[]
}

/** HTTP/1.1 only: the proxy speaks HTTP/1.1 to clients (Kong's TLS listener without http2). */
export const ALPN_PROTOCOLS = ['http/1.1']

/** A secure context for one certificate entity: the main pair plus the alternative, if any. */
export function contextForCertificate(cert: Record<string, unknown>): tls.SecureContext {
  const certs = [cert['cert'], cert['cert_alt']].filter((c): c is string => typeof c === 'string')
  const keys = [cert['key'], cert['key_alt']].filter((k): k is string => typeof k === 'string')
  return tls.createSecureContext({ cert: certs, key: keys })
}

export class TlsCertificates {
  private readonly defaultContext: tls.SecureContext
  private builtFor = -1
  /** SNI name (lower case) → certificate id. */
  private byName = new Map<string, string>()
  /** Certificate id → its context, for the certificate as it is now. */
  private contexts = new Map<string, { source: Record<string, unknown>; context: tls.SecureContext }>()

  constructor(
    private readonly state: ConfigState,
    /** The default certificate: served without SNI or when no SNI entity matches. */
    readonly fallback: CertificateChain,
    private readonly log: Logger
  ) {
    this.defaultContext = tls.createSecureContext({ cert: fallback.cert, key: fallback.key })
  }

  private refresh(): void {
    if (this.builtFor === this.state.tlsVersion) return
    this.builtFor = this.state.tlsVersion
    this.byName = new Map()
    for (const sni of this.state.list('snis')) {
      const certId = (sni['certificate'] as { id?: string } | null)?.id
      if (typeof sni['name'] === 'string' && certId) this.byName.set(sni['name'].toLowerCase(), certId)
    }
    // Contexts of certificates that changed or are gone are dropped; the rest are kept.
    for (const [id, entry] of this.contexts) {
      if (this.state.get('certificates', id) !== entry.source) this.contexts.delete(id)
    }
  }

  private contextOf(id: string): tls.SecureContext | undefined {
    const cached = this.contexts.get(id)
    if (cached) return cached.context
    const cert = this.state.get('certificates', id)
    if (!cert) return undefined
    try {
      const context = contextForCertificate(cert)
      this.contexts.set(id, { source: cert, context })
      return context
    } catch (err) {
      // Only the id and OpenSSL's reason: never the key material.
      this.log.error({ certificate: id, reason: (err as Error).message }, 'cannot load certificate; serving the default')
      return undefined
    }
  }

  /** The context for a client's SNI (undefined SNI: the default). */
  contextFor(servername: string | undefined): tls.SecureContext {
    this.refresh()
    for (const name of sniCandidates(servername)) {
      const id = this.byName.get(name)
      if (id) return this.contextOf(id) ?? this.defaultContext
    }
    return this.defaultContext
  }
}
