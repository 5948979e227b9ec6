// TLS end to end over loopback: a TLS proxy listener picks the certificate by SNI (exact,
// wildcard, catch-all, default), negotiates HTTP/1.1 by ALPN, serves the RSA or ECDSA pair a
// client can use, follows certificate changes from config events, and routes as `https`.
// Towards upstreams it verifies (or not) against the service's CA certificates, honours
// tls_verify_depth and presents the client certificate to an upstream that requires one.
// Every certificate is generated here.

import { createLogger } from '@switchyard/log'
import { createCertificate, type CertificatePair } from '@switchyard/server'
import { httpGet, httpsGet, tlsHandshake } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { after, describe, test } from 'node:test'
import tls from 'node:tls'
import { WebSocket, WebSocketServer } from 'ws'
import { ConfigState } from './config-state.js'
import { createProxyServer } from './proxy-server.js'
import { fx, snapshotOf } from './test-fixtures.js'
import { TlsCertificates } from './tls-certificates.js'
import { createTlsProxyServer } from './tls-proxy-server.js'

const DAY = 86_400_000
const now = Date.now()
const valid = { notBefore: now - DAY, notAfter: now + 30 * DAY }
const ca = (cn: string) => createCertificate({ commonName: cn, ca: true, ...valid })
const issued = (issuer: CertificatePair, issuerName: string, cn: string, extra: { keyType?: 'ec'; altNames?: string[] } = {}) =>
  createCertificate({ commonName: cn, ...valid, ...extra, issuer: { commonName: issuerName, key: issuer.key } })

const SERVER_CA = ca('Proxy CA')
const A = issued(SERVER_CA, 'Proxy CA', 'a.test')
const B = issued(SERVER_CA, 'Proxy CA', 'b.test')
const B_EC = issued(SERVER_CA, 'Proxy CA', 'b.test', { keyType: 'ec' })
const WILD = issued(SERVER_CA, 'Proxy CA', '*.wild.test')
const CATCH_ALL = issued(SERVER_CA, 'Proxy CA', 'catch-all')
const DEFAULT = createCertificate({ commonName: 'default.test', ...valid })
const UPSTREAM_CA = ca('Upstream CA')
const OTHER_CA = ca('Other CA')
const UPSTREAM = issued(UPSTREAM_CA, 'Upstream CA', 'upstream.test', { altNames: ['upstream.test', '127.0.0.1'] })
// A chain with one intermediate CA: Upstream CA → Intermediate CA → deep.test.
const INTERMEDIATE = createCertificate({
  commonName: 'Intermediate CA',
  ca: true,
  ...valid,
  issuer: { commonName: 'Upstream CA', key: UPSTREAM_CA.key },
})
const DEEP = issued(INTERMEDIATE, 'Intermediate CA', 'deep.test', { altNames: ['deep.test', '127.0.0.1'] })
const CLIENT_CA = ca('Client CA')
const CLIENT = issued(CLIENT_CA, 'Client CA', 'gateway-client')

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

/** Listens on a free loopback port; `connections` is the HTTP server whose sockets to close. */
async function listenOn(server: net.Server, connections: http.Server | https.Server | undefined = server as http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    connections?.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return (server.address() as AddressInfo).port
}

/** A proxy with a plain and a TLS listener on one configuration. */
async function startProxies(snapshot: ReturnType<typeof snapshotOf>, handshakeTimeoutMs?: number) {
  const state = new ConfigState({ now: () => performance.now(), random: Math.random })
  state.loadSnapshot(snapshot)
  const log = createLogger({ level: 'silent' })
  let plainPort = 0
  const proxy = createProxyServer({ state, log, port: () => plainPort })
  cleanups.push(() => proxy.close())
  plainPort = await listenOn(proxy.server)
  const certs = new TlsCertificates(state, { cert: [DEFAULT.cert], key: [DEFAULT.key] }, log)
  const listener = createTlsProxyServer(proxy, certs, handshakeTimeoutMs ? { handshakeTimeoutMs } : {})
  const tlsPort = await listenOn(listener.server, listener.http)
  return { state, plainPort, tlsPort }
}

const handshake = tlsHandshake
const plainGet = httpGet

/** An upstream echoing what it saw: path, forwarded headers, the client certificate's CN. */
function echo(req: http.IncomingMessage, res: http.ServerResponse): void {
  const socket = req.socket as tls.TLSSocket
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined
  res.setHeader('content-type', 'application/json')
  res.end(
    JSON.stringify({
      path: req.url,
      proto: req.headers['x-forwarded-proto'],
      port: req.headers['x-forwarded-port'],
      host: req.headers.host,
      clientCn: peer && 'subject' in peer ? peer.subject?.CN ?? null : null,
      servername: (socket as { servername?: string | false }).servername ?? null,
    })
  )
}

describe('TLS listener', () => {
  test('certificate by SNI: exact, alternative key type, wildcard, catch-all, default; ALPN http/1.1', async () => {
    const a = fx.certificate({ cert: A.cert, key: A.key })
    const b = fx.certificate({ cert: B.cert, key: B.key, cert_alt: B_EC.cert, key_alt: B_EC.key })
    const wild = fx.certificate({ cert: WILD.cert, key: WILD.key })
    const { state, tlsPort } = await startProxies(
      snapshotOf({
        certificates: [a, b, wild],
        snis: [fx.sni(a, 'a.test'), fx.sni(b, 'b.test'), fx.sni(wild, '*.wild.test'), fx.sni(wild, 'suffix.*')],
      })
    )
    const served = async (name?: string, extra?: tls.ConnectionOptions) => (await handshake(tlsPort, name, extra)).cn
    assert.equal(await served('a.test'), 'a.test')
    assert.equal(await served('A.TEST'), 'a.test', 'SNI compares case-insensitively')
    assert.equal(await served('b.test'), 'b.test')
    assert.equal(await served('x.wild.test'), '*.wild.test')
    assert.equal(await served('suffix.example'), '*.wild.test', 'trailing wildcard')
    assert.equal(await served('wild.test'), 'default.test', '*.wild.test does not cover wild.test')
    assert.equal(await served('unknown.test'), 'default.test')
    assert.equal(await served(undefined), 'default.test', 'no SNI: the default certificate')
    assert.equal((await handshake(tlsPort, 'a.test')).alpn, 'http/1.1')

    // The same name serves RSA or ECDSA (cert_alt), whichever the client can verify.
    const ec = await handshake(tlsPort, 'b.test', { sigalgs: 'ecdsa_secp256r1_sha256' })
    assert.deepEqual([ec.cn, ec.keyType], ['b.test', 'ec'])
    const rsa = await handshake(tlsPort, 'b.test', { sigalgs: 'rsa_pss_rsae_sha256' })
    assert.deepEqual([rsa.cn, rsa.keyType], ['b.test', 'rsa'])

    // Config events: a catch-all SNI takes over unknown names; deleting a certificate drops
    // its SNIs, so its name falls back to the catch-all.
    const catchAll = fx.certificate({ cert: CATCH_ALL.cert, key: CATCH_ALL.key })
    const star = fx.sni(catchAll, '*')
    let v = state.version
    state.apply({ version: ++v, entity: 'certificates', op: 'upsert', id: String(catchAll['id']), payload: catchAll })
    state.apply({ version: ++v, entity: 'snis', op: 'upsert', id: String(star['id']), payload: star })
    assert.equal(await served('unknown.test'), 'catch-all')
    assert.equal(await served('a.test'), 'a.test', 'an exact name still wins')
    state.apply({ version: ++v, entity: 'certificates', op: 'delete', id: String(a['id']), payload: a })
    assert.equal(await served('a.test'), 'catch-all')
    assert.equal(await served(undefined), 'default.test')
  })

  test('requests over TLS route as https and reach the upstream with X-Forwarded-Proto https', async () => {
    const upstreamPort = await listenOn(http.createServer(echo))
    const s = fx.service({ host: '127.0.0.1', port: upstreamPort })
    const secure = fx.route(s, { paths: ['/secure'], protocols: ['https'] })
    const c = fx.certificate({ cert: A.cert, key: A.key })
    const { tlsPort, plainPort } = await startProxies(
      snapshotOf({ services: [s], routes: [secure], certificates: [c], snis: [fx.sni(c, 'a.test')] })
    )
    const r = await httpsGet(tlsPort, 'a.test', '/secure/x', SERVER_CA.cert)
    assert.equal(r.status, 200, r.body)
    const seen = JSON.parse(r.body)
    assert.deepEqual([seen.path, seen.proto, seen.port], ['/x', 'https', String(tlsPort)])
    const plain = await plainGet(plainPort, 'a.test', '/secure/x')
    assert.equal(plain.status, 426, 'an https-only route refuses plain HTTP')

  })

  test('plain HTTP sent to the TLS port is closed, not answered or left hanging', async () => {
    const { tlsPort } = await startProxies(snapshotOf({}))
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect(tlsPort, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n'))
      let data = ''
      socket.on('data', (c: Buffer) => (data += c.toString()))
      socket.on('error', () => {})
      socket.on('close', () => resolve(data === '' ? 'closed' : `answered: ${data}`))
      socket.setTimeout(5000, () => {
        resolve('hung')
        socket.destroy()
      })
    })
    assert.equal(outcome, 'closed')
  })

  test('clients that stall before or during the handshake are disconnected', async () => {
    const { tlsPort } = await startProxies(snapshotOf({}), 300)
    const hello = await new Promise<Buffer>((resolve) => {
      // The first bytes of a real ClientHello, captured from a client that never gets an answer.
      const grab = net.createServer((s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy())))
      grab.listen(0, '127.0.0.1', () => {
        const c = tls.connect({ port: (grab.address() as AddressInfo).port, host: '127.0.0.1', servername: 'a.test' })
        c.on('error', () => grab.close())
      })
    })
    const stalls: [string, Buffer | undefined][] = [
      ['silent', undefined],
      ['half a ClientHello', hello.subarray(0, 20)],
      ['a whole ClientHello, then silence', hello],
    ]
    for (const [what, bytes] of stalls) {
      const started = performance.now()
      await new Promise<void>((resolve) => {
        const socket = net.connect(tlsPort, '127.0.0.1', () => {
          if (bytes) socket.write(bytes)
        })
        socket.on('data', () => {})
        socket.on('error', () => {})
        socket.on('close', () => resolve())
      })
      const waited = performance.now() - started
      assert.ok(waited >= 250 && waited < 3000, `${what}: closed after ${Math.round(waited)} ms`)
    }

    // A completed handshake is not cut by the timer: an idle keep-alive connection serves later.
    const socket = tls.connect({ port: tlsPort, host: '127.0.0.1', servername: 'a.test', rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve())
      socket.once('error', reject)
    })
    await new Promise((r) => setTimeout(r, 600))
    const answer = await new Promise<string>((resolve, reject) => {
      let data = ''
      socket.on('data', (c: Buffer) => {
        data += c.toString()
        if (data.includes('\r\n\r\n')) resolve(data.split('\r\n')[0]!)
      })
      socket.once('error', reject)
      socket.once('close', () => resolve(`closed: ${data}`))
      socket.write('GET / HTTP/1.1\r\nHost: a.test\r\n\r\n')
    })
    socket.destroy()
    assert.equal(answer, 'HTTP/1.1 404 Not Found')
  })

  test('routes with snis match the TLS server name', async () => {
    const upstreamPort = await listenOn(http.createServer(echo))
    const s = fx.service({ host: '127.0.0.1', port: upstreamPort })
    const bySni = fx.route(s, { snis: ['a.test'], protocols: ['https'] })
    const c = fx.certificate({ cert: A.cert, key: A.key })
    const cb = fx.certificate({ cert: B.cert, key: B.key })
    const { tlsPort } = await startProxies(
      snapshotOf({ services: [s], routes: [bySni], certificates: [c, cb], snis: [fx.sni(c, 'a.test'), fx.sni(cb, 'b.test')] })
    )
    assert.equal((await httpsGet(tlsPort, 'a.test', '/', SERVER_CA.cert)).status, 200)
    const other = await httpsGet(tlsPort, 'b.test', '/', SERVER_CA.cert)
    assert.equal(other.status, 404, other.body)
  })
})

describe('TLS to upstreams', () => {
  async function httpsUpstream(opts: { requireClientCert?: boolean; intermediate?: boolean } = {}) {
    const server = https.createServer(
      {
        // The server sends its chain up to (not including) the trust anchor.
        cert: opts.intermediate ? DEEP.cert + INTERMEDIATE.cert : UPSTREAM.cert,
        key: opts.intermediate ? DEEP.key : UPSTREAM.key,
        ...(opts.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: CLIENT_CA.cert } : {}),
      },
      echo
    )
    return listenOn(server)
  }

  /** One https service per case, each on its own path. */
  async function setup(port: number, cases: Record<string, Record<string, unknown>>, upstreamCert?: boolean) {
    const client = fx.certificate({ cert: CLIENT.cert, key: CLIENT.key })
    const upstreamCa = fx.caCertificate(UPSTREAM_CA.cert)
    const otherCa = fx.caCertificate(OTHER_CA.cert)
    const refs: Record<string, unknown> = {
      '$client': { id: client['id'] },
      '$upstreamCa': upstreamCa['id'],
      '$otherCa': otherCa['id'],
    }
    const resolve = (v: unknown): unknown =>
      typeof v === 'string' && v in refs ? refs[v] : Array.isArray(v) ? v.map(resolve) : v
    const services = []
    const routes = []
    const upstreams = []
    const targets = []
    for (const [name, { route, ...fields }] of Object.entries(cases)) {
      const input = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, resolve(v)]))
      let host = '127.0.0.1'
      if (upstreamCert) {
        // Through an upstream entity that carries the client certificate.
        const u = fx.upstream({ name: `${name}.upstream`, client_certificate: { id: client['id'] } })
        upstreams.push(u)
        targets.push(fx.target(u, { target: `127.0.0.1:${port}` }))
        host = `${name}.upstream`
      }
      const s = fx.service({ name, protocol: 'https', host, port, retries: 0, ...input })
      services.push(s)
      routes.push(fx.route(s, { paths: [`/${name}`], ...(route as Record<string, unknown> | undefined) }))
    }
    return startProxies(
      snapshotOf({ services, routes, upstreams, targets, certificates: [client], ca_certificates: [upstreamCa, otherCa] })
    )
  }

  test('tls_verify: off by default, on against the service CA certificates, with a depth limit', async () => {
    const port = await httpsUpstream()
    const { plainPort } = await setup(port, {
      unverified: {},
      trusted: { tls_verify: true, ca_certificates: ['$upstreamCa'] },
      untrusted: { tls_verify: true, ca_certificates: ['$otherCa'] },
      system: { tls_verify: true },
      direct: { tls_verify: true, ca_certificates: ['$upstreamCa'], tls_verify_depth: 0 },
    })
    const status = async (name: string) => (await plainGet(plainPort, 'x.test', `/${name}`)).status
    assert.equal(await status('unverified'), 200)
    const seen = JSON.parse((await plainGet(plainPort, 'x.test', '/trusted')).body)
    assert.equal(seen.proto, 'http')
    assert.equal(await status('trusted'), 200)
    assert.equal(await status('untrusted'), 502)
    assert.equal(await status('system'), 502, 'the system store does not know the test CA')
    assert.equal(await status('direct'), 200, 'issued by the trust anchor: no intermediate')

    // tls_verify_depth counts intermediate CAs, as OpenSSL's verify depth.
    const deepPort = await httpsUpstream({ intermediate: true })
    const deep = await setup(deepPort, {
      chained: { tls_verify: true, ca_certificates: ['$upstreamCa'] },
      depth1: { tls_verify: true, ca_certificates: ['$upstreamCa'], tls_verify_depth: 1 },
      depth0: { tls_verify: true, ca_certificates: ['$upstreamCa'], tls_verify_depth: 0 },
    })
    const deepStatus = async (name: string) => (await plainGet(deep.plainPort, 'x.test', `/${name}`)).status
    assert.equal(await deepStatus('chained'), 200)
    assert.equal(await deepStatus('depth1'), 200)
    assert.equal(await deepStatus('depth0'), 502, 'one intermediate is more than depth 0 allows')
  })

  test('mTLS: the service client certificate is presented; without it the upstream refuses', async () => {
    const port = await httpsUpstream({ requireClientCert: true })
    const { plainPort } = await setup(port, {
      withcert: { client_certificate: '$client' },
      withoutcert: {},
      verifiedwithcert: { client_certificate: '$client', tls_verify: true, ca_certificates: ['$upstreamCa'] },
    })
    const r = await plainGet(plainPort, 'x.test', '/withcert')
    assert.equal(r.status, 200, r.body)
    assert.equal(JSON.parse(r.body).clientCn, 'gateway-client')
    assert.equal((await plainGet(plainPort, 'x.test', '/withoutcert')).status, 502)
    assert.equal((await plainGet(plainPort, 'x.test', '/verifiedwithcert')).status, 200)
  })

  test("mTLS: an upstream entity's client certificate applies when the service has none", async () => {
    const port = await httpsUpstream({ requireClientCert: true })
    const { plainPort } = await setup(port, { viaupstream: {} }, true)
    const r = await plainGet(plainPort, 'x.test', '/viaupstream')
    assert.equal(r.status, 200, r.body)
    assert.equal(JSON.parse(r.body).clientCn, 'gateway-client')
  })

  test('WebSocket over TLS both ways: wss to the proxy, mTLS and verification to the upstream', async () => {
    const server = https.createServer({
      cert: UPSTREAM.cert + UPSTREAM_CA.cert,
      key: UPSTREAM.key,
      requestCert: true,
      rejectUnauthorized: true,
      ca: CLIENT_CA.cert,
    })
    const wss = new WebSocketServer({ server })
    wss.on('connection', (ws, req) => {
      const cn = (req.socket as tls.TLSSocket).getPeerCertificate().subject?.CN
      ws.on('message', (m) => ws.send(`${cn}:${m.toString()}`))
    })
    cleanups.push(async () => wss.close())
    const port = await listenOn(server)
    const { tlsPort } = await setup(port, {
      ws: { client_certificate: '$client', tls_verify: true, ca_certificates: ['$upstreamCa'] },
      wsuntrusted: { client_certificate: '$client', tls_verify: true, ca_certificates: ['$otherCa'] },
    })
    const open = (path: string) => {
      const ws = new WebSocket(`wss://127.0.0.1:${tlsPort}${path}`, { rejectUnauthorized: false })
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
        ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)))
      })
    }
    const ws = await open('/ws')
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())))
    ws.send('hello')
    assert.equal(await reply, 'gateway-client:hello')
    ws.close()
    await assert.rejects(open('/wsuntrusted'))
  })

  test('the SNI sent upstream is the Host header sent upstream (no SNI for an IP)', async () => {
    const port = await httpsUpstream()
    const { plainPort } = await setup(port, {
      byip: {},
      // preserve_host sends the client's Host upstream, and so its name as SNI.
      byname: { route: { preserve_host: true } },
    })
    assert.equal(JSON.parse((await plainGet(plainPort, 'x.test', '/byip')).body).servername, false)
    const r = await plainGet(plainPort, 'upstream.test:8000', '/byname')
    assert.equal(JSON.parse(r.body).servername, 'upstream.test')
  })
})
