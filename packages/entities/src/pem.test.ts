// PEM checks with Kong's messages, the certificate ↔ key match, key types and digests, on
// certificates generated here (no committed keys).

import assert from 'node:assert/strict'
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { test } from 'node:test'
import { createCertificate } from '@switchyard/server'
import {
  certificateDigest,
  certificateKeyType,
  certificateMatchesKey,
  checkCertificatePem,
  checkKeyPem,
} from './pem.js'
import { checkWildcardHost } from './typedefs.js'

const now = Date.now()
const rsa = createCertificate({ commonName: 'r.test', notBefore: now - 1000, notAfter: now + 1e9 })
const ec = createCertificate({ commonName: 'e.test', keyType: 'ec', notBefore: now - 1000, notAfter: now + 1e9 })

test('readable certificates and keys pass; garbage gets the parser in the message', () => {
  assert.equal(checkCertificatePem(rsa.cert), undefined)
  assert.equal(checkKeyPem(rsa.key), undefined)
  assert.equal(checkCertificatePem('nope'), 'invalid certificate: x509.new: error:0480006C:PEM routines::no start line')
  assert.match(checkKeyPem('nope') ?? '', /^invalid key: pkey\.new:load_key: error:/)
  assert.match(checkCertificatePem(rsa.key) ?? '', /^invalid certificate: /)
  // A traditional (PKCS#1) key is a key too.
  const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' })
  assert.equal(checkKeyPem(pkcs1.toString()), undefined)
})

test('key matching, key types and the SHA-256 digest', () => {
  assert.equal(certificateMatchesKey(rsa.cert, rsa.key), true)
  assert.equal(certificateMatchesKey(rsa.cert, ec.key), false)
  assert.equal(certificateMatchesKey('nope', rsa.key), false)
  assert.equal(certificateKeyType(rsa.cert), 'rsa')
  assert.equal(certificateKeyType(ec.cert), 'ec')
  const der = new X509Certificate(rsa.cert).raw
  assert.equal(certificateDigest(rsa.cert), createHash('sha256').update(der).digest('hex'))
  assert.equal(certificateDigest('nope'), undefined)
})

test('wildcard hosts: Kong rules and messages', () => {
  const cases: [string, string | undefined][] = [
    ['*', undefined],
    ['*.a.test', undefined],
    ['a.*', undefined],
    ['a.test', undefined],
    ['a.*.test', 'wildcard must be leftmost or rightmost character'],
    ['*.a.*', 'only one wildcard must be specified'],
    ['10.0.0.1', 'must not be an IP'],
    ['a.test:80', 'must not have a port'],
    ['*.a.test:80', 'must not have a port'],
    ['a b', 'invalid value: a b'],
    ['*.a b', 'invalid value: wildcard.a b'],
  ]
  for (const [host, msg] of cases) assert.equal(checkWildcardHost(host), msg, host)
})
