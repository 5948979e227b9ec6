// KONG_SSL_CERT / KONG_SSL_CERT_KEY and KONG_PROXY_LISTEN as the data plane reads them: file
// paths, PEM text or base64 PEM, paired lists, and the plain/TLS listener split.

import { createCertificate } from '@switchyard/server'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { proxyListeners } from './config.js'
import { parseSslCertificate } from './ssl-certificate-config.js'

const pair = createCertificate({ commonName: 'env.test', notBefore: Date.now() - 1000, notAfter: Date.now() + 1e9 })

test('certificates from files, PEM text and base64, paired by position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssl-env-'))
  try {
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    writeFileSync(certFile, pair.cert)
    writeFileSync(keyFile, pair.key)
    assert.deepEqual(parseSslCertificate(certFile, keyFile), { cert: [pair.cert], key: [pair.key] })
    const b64 = Buffer.from(pair.cert).toString('base64')
    assert.deepEqual(parseSslCertificate(`${b64}, ${certFile}`, `${pair.key},${keyFile}`), {
      cert: [pair.cert, pair.cert],
      key: [pair.key.trim(), pair.key],
    })
    assert.equal(parseSslCertificate(undefined, undefined), undefined)
    assert.throws(() => parseSslCertificate(certFile, undefined), /KONG_SSL_CERT_KEY must be specified/)
    assert.throws(() => parseSslCertificate(undefined, keyFile), /KONG_SSL_CERT must be specified/)
    assert.throws(() => parseSslCertificate(certFile, `${keyFile},${keyFile}`), /same number of entries/)
    assert.throws(() => parseSslCertificate(join(dir, 'missing.pem'), keyFile), /KONG_SSL_CERT: cannot read .*ENOENT/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('KONG_PROXY_LISTEN splits into the plain listener and the TLS ones', () => {
  assert.deepEqual(proxyListeners({ KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 http2 ssl' }), {
    proxyListen: { host: '0.0.0.0', port: 8000 },
    proxySslListen: [{ host: '0.0.0.0', port: 8443 }],
    sslCertificate: undefined,
  })
  assert.deepEqual(proxyListeners({ KONG_PROXY_LISTEN: '127.0.0.1:8443 ssl' }).proxyListen, undefined)
  assert.deepEqual(proxyListeners({}).proxySslListen, [])
})
