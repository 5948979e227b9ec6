// The proxy's TLS listeners (KONG_PROXY_LISTEN entries with `ssl`): TLS terminated with the
// certificate the client's SNI selects, HTTP/1.1 via ALPN, and the plain proxy's request and
// upgrade handlers behind it — routing sees `https`, upstreams see X-Forwarded-Proto https.
//
// The SNI is read from the ClientHello before the handshake, and the TLS socket starts with
// that certificate's context: node applies only one key pair of a context switched to by
// SNICallback, which would break certificates with an RSA and an ECDSA pair (cert_alt).

import type { Logger } from '@switchyard/log'
import { listen, selfSignedDefault, type Listen } from '@switchyard/server'
import http from 'node:http'
import net from 'node:net'
import tls from 'node:tls'
import { readClientHello } from './client-hello.js'
import type { ConfigState } from './config-state.js'
import type { ProxyServer } from './proxy-server.js'
import { ALPN_PROTOCOLS, TlsCertificates, type CertificateChain } from './tls-certificates.js'

/** A client has this long to send its ClientHello and again to finish the handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000

export interface TlsProxyServer {
  /** The listening socket server. */
  server: net.Server
  /** The HTTP server the decrypted connections are handed to (connection counters, tests). */
  http: http.Server
}

export function createTlsProxyServer(
  proxy: ProxyServer,
  certificates: TlsCertificates,
  opts: { handshakeTimeoutMs?: number } = {}
): TlsProxyServer {
  const timeoutMs = opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
  const inner = http.createServer()
  proxy.attach(inner)
  const server = net.createServer((raw) => {
    let buf = Buffer.alloc(0)
    const fail = () => raw.destroy()
    const timer = setTimeout(fail, timeoutMs)
    raw.on('error', fail)
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const hello = readClientHello(buf)
      if (hello.kind === 'more') return
      clearTimeout(timer)
      raw.off('data', onData)
      raw.off('error', fail)
      if (hello.kind === 'not-tls') return fail()
      raw.pause()
      raw.unshift(buf)
      const socket = new tls.TLSSocket(raw, {
        isServer: true,
        secureContext: certificates.contextFor(hello.servername),
        ALPNProtocols: ALPN_PROTOCOLS,
      })
      // Handshake failures (a client refusing the certificate) end the connection quietly.
      socket.on('error', () => socket.destroy())
      const handshake = setTimeout(() => socket.destroy(), timeoutMs)
      socket.once('secure', () => clearTimeout(handshake))
      socket.once('close', () => clearTimeout(handshake))
      inner.emit('connection', socket)
    }
    raw.on('data', onData)
    raw.once('close', () => clearTimeout(timer))
  })
  return { server, http: inner }
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
  /** Called with each listener's HTTP server before it listens (connection counters). */
  watch?: (server: http.Server) => void
}): Promise<TlsProxyServer[]> {
  if (opts.listens.length === 0) return []
  let fallback = opts.defaultCertificate
  if (!fallback) {
    const generated = selfSignedDefault(Date.now())
    fallback = { cert: [generated.cert], key: [generated.key] }
    opts.log.info('no KONG_SSL_CERT: serving a generated self-signed default certificate')
  }
  const certificates = new TlsCertificates(opts.state, fallback, opts.log)
  const servers: TlsProxyServer[] = []
  for (const where of opts.listens) {
    const s = createTlsProxyServer(opts.proxy, certificates)
    opts.watch?.(s.http)
    await listen(s.server, where, 'proxy (TLS)', opts.log)
    servers.push(s)
  }
  return servers
}
