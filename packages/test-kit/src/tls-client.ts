// TLS clients for tests: a bare handshake that reports which certificate a server chose for an
// SNI (and the ALPN result), and an HTTPS or plain GET with an explicit Host header (fetch
// never sends the Host it is given).

import { X509Certificate } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'

export interface HandshakeResult {
  /** Subject common name of the certificate the server sent. */
  cn: string
  keyType: string | undefined
  alpn: string | false
}

/** Connects to 127.0.0.1:`port` with `servername` as SNI (none when undefined). */
export function tlsHandshake(port: number, servername?: string, extra: tls.ConnectionOptions = {}): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      ...extra,
    })
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS handshake timed out')))
    socket.once('secureConnect', () => {
      const cert = new X509Certificate(socket.getPeerX509Certificate()!.raw)
      resolve({
        cn: cert.subject.replace(/^CN=/, ''),
        keyType: cert.publicKey.asymmetricKeyType,
        alpn: socket.alpnProtocol ?? false,
      })
      socket.end()
    })
    socket.once('error', reject)
  })
}

export interface SimpleResponse {
  status: number
  body: string
}

function collect(resolve: (r: SimpleResponse) => void) {
  return (res: http.IncomingMessage) => {
    let body = ''
    res.setEncoding('utf8')
    res.on('data', (c: string) => (body += c))
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
  }
}

/** GET https://127.0.0.1:`port``path` with SNI and Host `host`, trusting `ca`. */
export function httpsGet(port: number, host: string, path: string, ca: string): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, servername: host, headers: { host }, ca, agent: false, timeout: 10_000 },
      collect(resolve)
    )
    req.once('timeout', () => req.destroy(new Error('request timed out')))
    req.once('error', reject)
    req.end()
  })
}

/** GET http://127.0.0.1:`port``path` with this Host header. */
export function httpGet(port: number, host: string, path: string): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 10_000 }, collect(resolve))
    req.once('timeout', () => req.destroy(new Error('request timed out')))
    req.once('error', reject)
    req.end()
  })
}
