// UpstreamTls: which TLS options a service gets (client certificate from the service or its
// upstream, verification and trust store only with tls_verify), options reused until the
// service or a certificate changes, and the SNI derived from the Host sent upstream.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { ConfigState } from './config-state.js'
import { fx, snapshotOf } from './test-fixtures.js'
import { serverNameOf, UpstreamTls } from './upstream-tls.js'

// Placeholder PEM strings: these options are only built here, never used for a handshake.
const cert = (n: string) => ({ cert: `CERT ${n}`, key: `KEY ${n}` })
const entity = (fields: Record<string, unknown>) => ({ id: randomUUID(), ...fields })

test('SNI from the upstream Host header (table)', () => {
  const cases: [string, string | undefined][] = [
    ['api.test', 'api.test'],
    ['api.test:8443', 'api.test'],
    ['127.0.0.1:443', undefined],
    ['[::1]:443', undefined],
    ['[::1]', undefined],
    ['', undefined],
  ]
  for (const [host, sni] of cases) assert.equal(serverNameOf(host), sni, host)
})

test('options per service: client certificate, verification, trust store, caching', () => {
  const state = new ConfigState({ now: () => 0, random: Math.random })
  const svcCert = entity(cert('service'))
  const upCert = entity(cert('upstream'))
  const ca = entity({ cert: 'CA PEM' })
  const plain = fx.service({ name: 'plain', host: 'a.test' })
  const own = fx.service({
    name: 'own',
    host: 'a.test',
    protocol: 'https',
    client_certificate: { id: svcCert['id'] },
    tls_verify: true,
    ca_certificates: [ca['id']],
  })
  const inherited = fx.service({ name: 'inherited', host: 'up.test', protocol: 'https' })
  const upstream = fx.upstream({ name: 'up.test', client_certificate: { id: upCert['id'] } })
  state.loadSnapshot(
    snapshotOf({ services: [plain, own, inherited], upstreams: [upstream], certificates: [svcCert, upCert], ca_certificates: [ca] })
  )
  const tls = new UpstreamTls(state)
  const svc = (name: string) => state.list('services').find((s) => s['name'] === name)!
  assert.equal(tls.forService(svc('plain'), undefined), undefined, 'http services have no TLS')

  const o = tls.forService(svc('own'), undefined)!
  assert.deepEqual(
    { cert: o.connect.cert, key: o.connect.key, ca: o.connect.ca, verify: o.connect.rejectUnauthorized },
    { cert: 'CERT service', key: 'KEY service', ca: ['CA PEM'], verify: true }
  )
  assert.equal(tls.forService(svc('own'), undefined), o, 'reused while nothing changed')

  const i = tls.forService(svc('inherited'), state.upstreamByName('up.test'))!
  assert.deepEqual([i.connect.cert, i.connect.rejectUnauthorized, i.connect.ca], ['CERT upstream', false, undefined])

  // A certificate change (any TLS entity event) gives new options, so new connections.
  state.apply({ version: state.version + 1, entity: 'certificates', op: 'upsert', id: String(svcCert['id']), payload: { ...svcCert, ...cert('rotated') } })
  const rotated = tls.forService(svc('own'), undefined)!
  assert.notEqual(rotated.id, o.id)
  assert.equal(rotated.connect.cert, 'CERT rotated')

  const named = tls.withServerName(rotated, 'api.test:443')
  assert.equal(named.connect.servername, 'api.test')
  assert.equal(named.id, rotated.id)
  assert.equal(tls.withServerName(rotated, 'api.test'), named, 'one object per name')
  assert.equal(tls.withServerName(rotated, '10.0.0.1').connect.servername, undefined)
})
