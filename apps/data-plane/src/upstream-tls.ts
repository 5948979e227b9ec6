// TLS towards upstreams of `https` services, after kong/runloop/upstream_ssl.lua: the service's
// client certificate (else its upstream's) is presented; `tls_verify` turns verification on
// against the service's CA certificates (else the system store), limited to
// `tls_verify_depth`; the SNI is the Host sent upstream, as nginx's proxy_ssl_name. Options
// are built once per service and configuration, so the pools keyed by them are reused.

import type httpProxy from 'http-proxy'
import { isIP } from 'node:net'
import { checkServerIdentity as checkIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import type { BalancedUpstream, ConfigState } from './config-state.js'

export interface UpstreamTlsOptions {
  /** Distinguishes option sets in pool keys: a changed certificate gets new connections. */
  readonly id: number
  readonly connect: ConnectionOptions
}

interface Cached {
  service: object
  upstream: object | undefined
  tlsVersion: number
  options: UpstreamTlsOptions
}

type Entity = Record<string, unknown>

const refId = (v: unknown) => (v as { id?: string } | null | undefined)?.id

/** The number of certificates above the leaf in a verified chain (trust anchor included). */
export function chainDepth(leaf: PeerCertificate): number {
  let depth = 0
  const seen = new Set<string>([leaf.fingerprint256])
  let cert = (leaf as { issuerCertificate?: PeerCertificate }).issuerCertificate
  // Bounded: a chain longer than any verify depth Kong allows (64) is reported as such.
  while (cert && !seen.has(cert.fingerprint256) && depth <= 64) {
    seen.add(cert.fingerprint256)
    depth++
    cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate
  }
  return depth
}

/** SNI for a Host header value: without its port; IP addresses send none. */
export function serverNameOf(host: string): string | undefined {
  const bare = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '')
  return bare === '' || isIP(bare) ? undefined : bare
}

export class UpstreamTls {
  private readonly cache = new Map<string, Cached>()
  private readonly named = new WeakMap<UpstreamTlsOptions, Map<string, UpstreamTlsOptions>>()
  private nextId = 1

  constructor(private readonly state: ConfigState) {}

  /** The TLS options for a service, or undefined when it does not speak TLS upstream. */
  forService(service: object, upstream: BalancedUpstream | undefined): UpstreamTlsOptions | undefined {
    const s = service as Entity
    if (s['protocol'] !== 'https') return undefined
    const id = String(s['id'])
    const hit = this.cache.get(id)
    if (hit && hit.service === service && hit.upstream === upstream?.entity && hit.tlsVersion === this.state.tlsVersion) {
      return hit.options
    }
    // A miss follows a config change: forget services that are gone.
    for (const key of this.cache.keys()) if (!this.state.get('services', key)) this.cache.delete(key)
    const options = { id: this.nextId++, connect: this.build(s, upstream?.entity) }
    this.cache.set(id, { service, upstream: upstream?.entity, tlsVersion: this.state.tlsVersion, options })
    return options
  }

  /** The same options with the SNI for this Host header (cached per name). */
  withServerName(options: UpstreamTlsOptions, host: string): UpstreamTlsOptions {
    const servername = serverNameOf(host)
    const key = servername ?? ''
    let byName = this.named.get(options)
    if (!byName) {
      byName = new Map()
      this.named.set(options, byName)
    }
    let named = byName.get(key)
    if (!named) {
      named = { id: options.id, connect: { ...options.connect, ...(servername ? { servername } : {}) } }
      byName.set(key, named)
    }
    return named
  }

  private build(service: Entity, upstream: Entity | undefined): ConnectionOptions {
    const connect: ConnectionOptions = { ALPNProtocols: ['http/1.1'] }
    const clientCertId = refId(service['client_certificate']) ?? refId(upstream?.['client_certificate'])
    const clientCert = clientCertId ? this.state.get('certificates', clientCertId) : undefined
    if (clientCert && typeof clientCert['cert'] === 'string' && typeof clientCert['key'] === 'string') {
      connect.cert = clientCert['cert']
      connect.key = clientCert['key']
    }
    // Kong's proxy_ssl_verify is off unless the service turns it on.
    const verify = service['tls_verify'] === true
    connect.rejectUnauthorized = verify
    if (!verify) return connect
    const caIds = Array.isArray(service['ca_certificates']) ? (service['ca_certificates'] as string[]) : []
    if (caIds.length > 0) {
      // Missing CA certificates leave the store smaller, so verification fails closed.
      connect.ca = caIds
        .map((id) => this.state.get('ca_certificates', id)?.['cert'])
        .filter((c): c is string => typeof c === 'string')
    }
    const depth = service['tls_verify_depth']
    if (typeof depth === 'number') {
      // OpenSSL's verify depth, as nginx's proxy_ssl_verify_depth: how many intermediate CA
      // certificates may stand between the server's certificate and the trust anchor.
      connect.checkServerIdentity = (hostname, cert) => {
        const intermediates = Math.max(0, chainDepth(cert) - 1)
        if (intermediates > depth) {
          const msg = `certificate chain too long (${intermediates} intermediate CAs, tls_verify_depth ${depth})`
          return Object.assign(new Error(msg), { code: 'CERT_CHAIN_TOO_LONG' })
        }
        return checkIdentity(hostname, cert)
      }
    }
    return connect
  }
}

/**
 * http-proxy's options for a WebSocket upgrade to `peer`: plain, or TLS with the service's
 * client certificate, trust store and verification (the chain depth limit is not applied).
 */
export function wsProxyOptions(
  peer: { host: string; port: number },
  tls: UpstreamTlsOptions | undefined
): httpProxy.ServerOptions {
  const hostPart = peer.host.includes(':') ? `[${peer.host}]` : peer.host
  if (!tls) return { target: `http://${hostPart}:${peer.port}` }
  const c = tls.connect
  return {
    target: {
      protocol: 'https:',
      host: peer.host,
      port: peer.port,
      ...(c.cert ? { cert: c.cert as string } : {}),
      ...(c.key ? { key: c.key as string } : {}),
      ...(c.ca ? { ca: c.ca as string[] } : {}),
    } as httpProxy.ServerOptions['target'],
    secure: c.rejectUnauthorized === true,
  }
}
