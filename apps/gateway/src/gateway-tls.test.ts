// End to end through `npm start`: KONG_PROXY_LISTEN with an `ssl` entry and KONG_SSL_CERT /
// KONG_SSL_CERT_KEY files. The configured certificate is the default; a certificate created
// through the Admin API with `snis` is served for its name at once; an https-only route works
// over TLS and answers 426 on the plain listener.

import { createCertificate } from '@switchyard/server'
import { freePort, httpGet, httpsGet, startGateway, startUpstream, tlsHandshake } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const DAY = 86_400_000
const now = Date.now()
const CA = createCertificate({ commonName: 'Gateway Test CA', ca: true, notBefore: now - DAY, notAfter: now + DAY })
const issued = (cn: string) =>
  createCertificate({ commonName: cn, notBefore: now - DAY, notAfter: now + DAY, issuer: { commonName: 'Gateway Test CA', key: CA.key } })

test('the gateway terminates TLS on KONG_PROXY_LISTEN ssl entries', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-gw-tls-'))
  const upstream = await startUpstream('tls-backend')
  const fallback = issued('configured-default')
  writeFileSync(join(dir, 'default.crt'), fallback.cert)
  writeFileSync(join(dir, 'default.key'), fallback.key, { mode: 0o600 })
  const [plain, secure] = [await freePort(), await freePort()]
  const g = await startGateway({
    SWITCHYARD_DATA_DIR: join(dir, 'data'),
    KONG_PROXY_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${secure} ssl`,
    KONG_SSL_CERT: join(dir, 'default.crt'),
    KONG_SSL_CERT_KEY: join(dir, 'default.key'),
  })
  try {
    assert.equal((await tlsHandshake(secure, 'anything.test')).cn, 'configured-default')
    const site = issued('api.test')
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${g.admin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      assert.equal(res.status, 201, await res.text())
    }
    await post('/certificates', { cert: site.cert, key: site.key, snis: ['api.test'] })
    await post('/services', { name: 'backend', url: `http://${upstream.address}` })
    await post('/services/backend/routes', { paths: ['/api'], protocols: ['https'] })
    const served = await tlsHandshake(secure, 'api.test')
    assert.deepEqual([served.cn, served.alpn], ['api.test', 'http/1.1'])
    const r = await httpsGet(secure, 'api.test', '/api/ping', CA.cert)
    assert.equal(r.status, 200, r.body)
    assert.equal((await httpGet(plain, 'api.test', '/api/ping')).status, 426)
    assert.ok(!g.output().includes('PRIVATE KEY'), 'no private key in the logs')
  } finally {
    await g.stop()
    await upstream.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
