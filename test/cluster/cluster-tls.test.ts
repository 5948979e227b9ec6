// Control plane ↔ data planes over TLS with one shared certificate (Kong's cluster_mtls =
// shared): the cluster listener speaks only HTTPS, data planes converge through it, the config
// endpoints refuse a client without the certificate even with the token, and a data plane
// holding another certificate gets no config from this control plane.

import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { DataPlaneProcess, TestCluster, generateCert, sleep, type CertFiles } from '@switchyard/test-kit'

const cert = generateCert()
const cluster = new TestCluster('cluster-tls', { clusterTls: cert })
let other: CertFiles & { dir: string }
let rogue: DataPlaneProcess | undefined

before(async () => {
  other = generateCert()
  await cluster.start(3)
})
after(async () => {
  await rogue?.kill()
  await cluster.cleanup()
  rmSync(cert.dir, { recursive: true, force: true })
  rmSync(other.dir, { recursive: true, force: true })
})

function get(path: string, opts: { token?: string; client?: CertFiles }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${cluster.control.clusterUrl}${path}`,
      {
        ca: [readFileSync(cert.certFile, 'utf8')],
        checkServerIdentity: () => undefined,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        ...(opts.client ? { cert: readFileSync(opts.client.certFile), key: readFileSync(opts.client.keyFile) } : {}),
        agent: false,
        timeout: 3000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      }
    )
    req.on('error', reject)
  })
}

test('data planes converge over HTTPS with the shared certificate', { timeout: 30_000 }, async () => {
  assert.match(cluster.control.clusterUrl, /^https:/)
  const admin = cluster.admin
  await admin.ok('POST', '/upstreams', { name: 'tls.up' })
  for (let i = 0; i < 5; i++) await admin.ok('POST', '/upstreams/tls.up/targets', { target: `127.0.0.1:${9000 + i}` })
  const s = await cluster.waitForConvergence(5000)
  assert.ok(s.config_version >= 6)
  for (const dp of cluster.dataPlanes) assert.equal((await dp.status()).control_plane.reachable, true)
})

test('the cluster listener does not speak plain HTTP', async () => {
  const plain = cluster.control.clusterUrl.replace('https:', 'http:')
  await assert.rejects(fetch(`${plain}/status`, { signal: AbortSignal.timeout(3000) }))
})

test('config endpoints need the cluster certificate as well as the token', async () => {
  const token = cluster.token
  assert.equal((await get('/status', {})).status, 200, '/status stays open for health checks')
  assert.equal((await get('/v1/snapshot', { token })).status, 401, 'token without certificate')
  assert.equal((await get('/v1/snapshot', { token, client: other })).status, 401, 'token with another certificate')
  assert.equal((await get('/v1/snapshot', { client: cert })).status, 401, 'certificate without token')
  const ok = await get('/v1/snapshot', { token, client: cert })
  assert.equal(ok.status, 200)
  assert.match((JSON.parse(ok.body) as { epoch: string }).epoch, /^[0-9a-f-]{36}$/)
})

test('a data plane holding another certificate gets no config (it refuses the server, the server refuses it)', { timeout: 30_000 }, async () => {
  rogue = await DataPlaneProcess.start({
    name: 'cluster-tls/rogue',
    controlPlane: cluster.control.clusterAddress,
    redisUrl: cluster.redisServer.url,
    token: cluster.token,
    tls: other,
    cacheFile: join(cluster.dir, 'rogue', 'config-cache.json'),
  })
  await sleep(1500)
  const s = await rogue.status()
  assert.equal(s.control_plane.reachable, false)
  assert.equal(s.config_version, 0)
  assert.ok(rogue.proc.lines.some((l) => l.msg === 'control plane unreachable and no cache; serving empty config'), rogue.proc.output())
})
