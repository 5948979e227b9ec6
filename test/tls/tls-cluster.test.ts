// End to end across a cluster: certificates, SNIs and CA certificates written through the
// control plane's Admin API reach three data planes by the same snapshot and events as the
// rest of the config; every data plane then terminates TLS with the certificate the SNI
// selects (exact, wildcard, its self-signed default) and proxies to an upstream that requires
// mutual TLS, verifying it against the service's CA certificate. No data plane logs a key.

import { createCertificate, type CertificatePair } from '@switchyard/server'
import { httpsGet, TestCluster, tlsHandshake, waitFor } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import type { TLSSocket } from 'node:tls'

const DAY = 86_400_000
const now = Date.now()
const valid = { notBefore: now - DAY, notAfter: now + 30 * DAY }
const issued = (issuer: CertificatePair, issuerName: string, cn: string, altNames?: string[]) =>
  createCertificate({ commonName: cn, ...valid, ...(altNames ? { altNames } : {}), issuer: { commonName: issuerName, key: issuer.key } })

const PROXY_CA = createCertificate({ commonName: 'Proxy CA', ca: true, ...valid })
const A = issued(PROXY_CA, 'Proxy CA', 'a.test')
const WILD = issued(PROXY_CA, 'Proxy CA', '*.wild.test')
const UPSTREAM_CA = createCertificate({ commonName: 'Upstream CA', ca: true, ...valid })
const UPSTREAM = issued(UPSTREAM_CA, 'Upstream CA', 'upstream.test', ['upstream.test', '127.0.0.1'])
const CLIENT_CA = createCertificate({ commonName: 'Client CA', ca: true, ...valid })
const CLIENT = issued(CLIENT_CA, 'Client CA', 'gateway-client')

const cluster = new TestCluster('tls', { proxyTls: true })
let upstream: https.Server
let upstreamPort = 0

before(async () => {
  upstream = https.createServer(
    { cert: UPSTREAM.cert, key: UPSTREAM.key, requestCert: true, rejectUnauthorized: true, ca: CLIENT_CA.cert },
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate()
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ clientCn: peer.subject?.CN ?? null, proto: req.headers['x-forwarded-proto'] }))
    }
  )
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  upstreamPort = (upstream.address() as AddressInfo).port
  await cluster.start(3)
})
after(async () => {
  await cluster.cleanup()
  upstream.closeAllConnections()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})

const sslPort = (i: number) => cluster.dataPlanes[i]!.opts.sslPort!

test('certificates reach every data plane; each serves them by SNI and proxies with mTLS', { timeout: 60_000 }, async () => {
  const admin = cluster.admin
  const a = await admin.ok<{ id: string }>('POST', '/certificates', { cert: A.cert, key: A.key, snis: ['a.test'] })
  await admin.ok('POST', '/certificates', { cert: WILD.cert, key: WILD.key, snis: ['*.wild.test'] })
  const client = await admin.ok<{ id: string }>('POST', '/certificates', { cert: CLIENT.cert, key: CLIENT.key })
  const ca = await admin.ok<{ id: string }>('POST', '/ca_certificates', { cert: UPSTREAM_CA.cert })
  const svc = await admin.ok<{ id: string }>('POST', '/services', {
    name: 'secure',
    url: `https://127.0.0.1:${upstreamPort}`,
    client_certificate: { id: client.id },
    tls_verify: true,
    ca_certificates: [ca.id],
    retries: 0,
  })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: ['/secure'], protocols: ['https'] })
  await cluster.waitForConvergence(10_000)

  for (const [i, dp] of cluster.dataPlanes.entries()) {
    const port = sslPort(i)
    assert.equal((await tlsHandshake(port, 'a.test')).cn, 'a.test', dp.name)
    assert.equal((await tlsHandshake(port, 'x.wild.test')).cn, '*.wild.test', dp.name)
    const fallback = await tlsHandshake(port, 'unknown.test')
    assert.deepEqual([fallback.cn, fallback.alpn], ['localhost', 'http/1.1'], `${dp.name}: the generated default`)
    const r = await httpsGet(port, 'a.test', '/secure', PROXY_CA.cert)
    assert.equal(r.status, 200, `${dp.name}: ${r.body}`)
    assert.deepEqual(JSON.parse(r.body), { clientCn: 'gateway-client', proto: 'https' })
  }

  // Deleting the certificate (its SNI goes with it) reaches every data plane.
  await admin.ok('DELETE', `/certificates/${a.id}`)
  await cluster.waitForConvergence(10_000)
  for (let i = 0; i < cluster.dataPlanes.length; i++) {
    await waitFor(`dp${i + 1} to drop a.test`, async () => (await tlsHandshake(sslPort(i), 'a.test')).cn === 'localhost', 5000)
  }

  for (const dp of cluster.dataPlanes) {
    const logged = JSON.stringify(dp.proc.lines)
    assert.ok(!logged.includes('PRIVATE KEY'), `${dp.name} logged a private key`)
  }
  assert.ok(!JSON.stringify(cluster.control.proc.lines).includes('PRIVATE KEY'), 'the control plane logged a private key')
})
