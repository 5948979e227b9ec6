// createCertificate: what it writes is a certificate OpenSSL (through node:crypto) reads back
// with the asked-for names, validity, CA flag and issuer, signed by the issuer's key.

import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { test } from 'node:test'
import tls from 'node:tls'
import { createCertificate, selfSignedDefault } from './x509.js'

const DAY = 86_400_000
const now = Date.UTC(2026, 0, 15)

test('self-signed RSA leaf: subject, SANs, validity, key match', () => {
  const pair = createCertificate({
    commonName: 'a.test',
    altNames: ['a.test', '*.b.test', '127.0.0.1', '::1'],
    notBefore: now - DAY,
    notAfter: now + DAY,
  })
  const cert = new X509Certificate(pair.cert)
  assert.equal(cert.subject, 'CN=a.test')
  assert.equal(cert.issuer, 'CN=a.test')
  assert.equal(cert.subjectAltName, 'DNS:a.test, DNS:*.b.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
  assert.equal(Date.parse(cert.validFrom), now - DAY)
  assert.equal(Date.parse(cert.validTo), now + DAY)
  assert.equal(cert.ca, false)
  assert.equal(cert.publicKey.asymmetricKeyType, 'rsa')
  assert.ok(cert.checkPrivateKey(createPrivateKey(pair.key)))
  assert.ok(cert.verify(cert.publicKey), 'self-signed')
})

test('EC leaf issued by a CA; dates after 2049 use GeneralizedTime', () => {
  const ca = createCertificate({ commonName: 'Test CA', ca: true, notBefore: now, notAfter: Date.UTC(2060, 0, 1) })
  const leaf = createCertificate({
    commonName: 'leaf.test',
    keyType: 'ec',
    notBefore: now,
    notAfter: now + DAY,
    issuer: { commonName: 'Test CA', key: ca.key },
  })
  const caCert = new X509Certificate(ca.cert)
  const leafCert = new X509Certificate(leaf.cert)
  assert.equal(caCert.ca, true)
  assert.equal(Date.parse(caCert.validTo), Date.UTC(2060, 0, 1))
  assert.equal(leafCert.issuer, 'CN=Test CA')
  assert.equal(leafCert.publicKey.asymmetricKeyType, 'ec')
  assert.ok(leafCert.checkIssued(caCert))
  assert.ok(leafCert.verify(caCert.publicKey))
  assert.equal(leafCert.subjectAltName, 'DNS:leaf.test')
})

test('the default certificate is for localhost and valid for years', () => {
  const cert = new X509Certificate(selfSignedDefault(now).cert)
  assert.equal(cert.subject, 'CN=localhost')
  assert.ok(Date.parse(cert.validTo) > now + 365 * DAY)
})

test('every generated certificate loads into a TLS context (serials are minimal DER integers)', () => {
  // A zero leading serial byte made 1 certificate in 128 fail with "illegal padding".
  for (let i = 0; i < 300; i++) {
    const pair = createCertificate({ commonName: `n${i}.test`, keyType: 'ec', notBefore: now, notAfter: now + DAY })
    assert.doesNotThrow(() => tls.createSecureContext({ cert: pair.cert, key: pair.key }), `certificate ${i}`)
  }
})
