// The proxy's TLS listeners (KONG_PROXY_LISTEN entries with `ssl`): node:https terminating TLS
// with the certificate the client's SNI selects, HTTP/1.1 via ALPN, and the plain proxy's
// request and upgrade handlers behind it — routing sees `https`, upstreams see
// X-Forwarded-Proto https.

import type { Logger } from '@switchyard/log'
import { listen, selfSignedDefault, type Listen } from '@switchyard/server'
import https from 'node:https'
import type { ConfigState } from './config-state.js'
import type { ProxyServer } from './proxy-server.js'
import { ALPN_PROTOCOLS, TlsCertificates, type CertificateChain } from './tls-certificates.js'

export function createTlsProxyServer(proxy: ProxyServer, certificates: TlsCertificates): https.Server {
  const server = https.createServer({
    SNICallback: certificates.sniCallback,
    // Served when the client sends no SNI (SNICallback is not called then).
    cert: certificates.fallback.cert,
    key: certificates.fallback.key,
    ALPNProtocols: ALPN_PROTOCOLS,
  })
  proxy.attach(server)
  return server
}

/**
 * Starts one TLS listener per address, all serving `proxy`; the default certificate is the
 * configured one or, as Kong does at start, a generated self-signed one.
 */
export async function listenTls(opts: {
  proxy: ProxyServer
  state: ConfigState
  listens: readonly Listen[]
  defaultCertificate: CertificateChain | undefined
  log: Logger
  /** Called with each server before it listens (connection counters). */
  watch?: (server: https.Server) => void
}): Promise<https.Server[]> {
  if (opts.listens.length === 0) return []
  let fallback = opts.defaultCertificate
  if (!fallback) {
    const generated = selfSignedDefault(Date.now())
    fallback = { cert: [generated.cert], key: [generated.key] }
    opts.log.info('no KONG_SSL_CERT: serving a generated self-signed default certificate')
  }
  const certificates = new TlsCertificates(opts.state, fallback, opts.log)
  const servers: https.Server[] = []
  for (const where of opts.listens) {
    const server = createTlsProxyServer(opts.proxy, certificates)
    opts.watch?.(server)
    await listen(server, where, 'proxy (TLS)', opts.log)
    servers.push(server)
  }
  return servers
}
