// The control plane's running config hash: after random Admin API writes — updates, deletes and
// deletes that cascade (an upstream's targets; a route's, service's or consumer's plugins; a
// consumer's key-auth credentials; a certificate's SNIs) — the hash caught up from outbox events
// equals a full configHash of the database, without reading the whole database again; and the
// snapshot served to data planes is read once per version however many ask.

import { configHash } from '@switchyard/cluster'
import { createCertificate } from '@switchyard/server'
import { createTestDatabase } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Json } from '../admin-api/client.js'
import { AdminHarness } from '../admin-api/harness.js'
import { SnapshotCache } from './snapshot-cache.js'

const h = new AdminHarness(createTestDatabase)
before(() => h.start())
after(() => h.stop())

// Deterministic choices (xorshift32), so a failure replays.
let seed = 12345
function random(): number {
  seed ^= seed << 13
  seed >>>= 0
  seed ^= seed >>> 17
  seed ^= seed << 5
  seed >>>= 0
  return seed / 2 ** 32
}
function pick<T>(list: T[]): T | undefined {
  return list[Math.floor(random() * list.length)]
}
function take<T>(list: T[]): T | undefined {
  const i = Math.floor(random() * list.length)
  return list.length === 0 ? undefined : list.splice(i, 1)[0]
}

const DAY = 86_400_000
const CERTS = Array.from({ length: 3 }, (_, i) =>
  createCertificate({ commonName: `c${i}.test`, keyType: 'ec', notBefore: Date.now() - DAY, notAfter: Date.now() + DAY })
)

async function created(path: string, body: Record<string, unknown>): Promise<string> {
  const reply = await h.client.post(path, body)
  assert.equal(reply.status, 201, `${path}: ${reply.text}`)
  return String((reply.body as { id: string }).id)
}

async function ok(reply: Promise<{ status: number; text: string }>, path: string): Promise<void> {
  const r = await reply
  assert.ok(r.status === 200 || r.status === 204, `${path}: ${r.status} ${r.text}`)
}

async function fullHash(): Promise<{ version: number; hash: string }> {
  const snap = await h.cp.store.snapshot()
  return { version: snap.version, hash: configHash(snap.entities) }
}

test('the running hash equals a full recompute after random writes and cascading deletes', async () => {
  const cache = new SnapshotCache(h.cp.store)
  const first = await cache.head()
  assert.equal(cache.builds, 1, 'the first hash reads the database once')
  assert.deepEqual({ version: first.version, hash: first.hash }, await fullHash())

  const ids = {
    upstreams: [] as string[],
    targets: [] as Array<{ upstream: string; id: string }>,
    services: [] as string[],
    routes: [] as string[],
    consumers: [] as string[],
    plugins: [] as string[],
    credentials: [] as Array<{ consumer: string; id: string }>,
    certificates: [] as string[],
  }
  let n = 0
  const kinds = new Map<string, number>()
  for (let step = 0; step < 160; step++) {
    n++
    const roll = random()
    let kind: string
    if (roll < 0.1 || ids.upstreams.length === 0) {
      kind = 'create upstream'
      ids.upstreams.push(await created('/upstreams', { name: `u${n}.test`, algorithm: pick(['round-robin', 'consistent-hashing'])! }))
    } else if (roll < 0.3) {
      kind = 'create target'
      const upstream = pick(ids.upstreams)!
      ids.targets.push({ upstream, id: await created(`/upstreams/${upstream}/targets`, { target: `10.0.${n >> 8}.${n & 255}:80` }) })
    } else if (roll < 0.38) {
      kind = 'update target'
      const t = pick(ids.targets)
      if (t) await ok(h.client.patch(`/upstreams/${t.upstream}/targets/${t.id}`, { weight: 1 + Math.floor(random() * 500) }), 'patch target')
    } else if (roll < 0.43) {
      kind = 'delete upstream (cascades to its targets)'
      const u = take(ids.upstreams)
      if (u) {
        await ok(h.client.delete(`/upstreams/${u}`), 'delete upstream')
        ids.targets = ids.targets.filter((t) => t.upstream !== u)
      }
    } else if (roll < 0.53) {
      kind = 'create service and route'
      const service = await created('/services', { name: `s${n}`, url: `http://u${n}.test/` })
      ids.services.push(service)
      ids.routes.push(await created(`/services/${service}/routes`, { paths: [`/r${n}`] }))
    } else if (roll < 0.58) {
      kind = 'update route'
      const r = pick(ids.routes)
      if (r) await ok(h.client.patch(`/routes/${r}`, { paths: [`/r${n}`, `/x${n}`] }), 'patch route')
    } else if (roll < 0.68) {
      kind = 'create plugin'
      const scope = random()
      const on: Json =
        scope < 0.33 && ids.routes.length > 0
          ? { route: { id: pick(ids.routes)! } }
          : scope < 0.66 && ids.services.length > 0
            ? { service: { id: pick(ids.services)! } }
            : ids.consumers.length > 0
              ? { consumer: { id: pick(ids.consumers)! } }
              : {}
      const reply = await h.client.post('/plugins', { name: 'rate-limiting', config: { minute: 1 + n }, ...(on as object) })
      // One rate-limiting plugin per scope: a second on the same scope is a 409, not a write.
      assert.ok(reply.status === 201 || reply.status === 409, reply.text)
      if (reply.status === 201) ids.plugins.push(String((reply.body as { id: string }).id))
    } else if (roll < 0.73) {
      kind = 'delete route (cascades to its plugins)'
      const r = take(ids.routes)
      if (r) await ok(h.client.delete(`/routes/${r}`), 'delete route')
    } else if (roll < 0.78) {
      kind = 'create consumer and credential'
      const consumer = await created('/consumers', { username: `c${n}` })
      ids.consumers.push(consumer)
      ids.credentials.push({ consumer, id: await created(`/consumers/${consumer}/key-auth`, { key: `k${n}` }) })
    } else if (roll < 0.83) {
      kind = 'delete consumer (cascades to its plugins and credentials)'
      const c = take(ids.consumers)
      if (c) await ok(h.client.delete(`/consumers/${c}`), 'delete consumer')
    } else if (roll < 0.88) {
      kind = 'create certificate with SNIs'
      const pair = pick(CERTS)!
      ids.certificates.push(await created('/certificates', { cert: pair.cert, key: pair.key, snis: [`a${n}.test`, `b${n}.test`] }))
    } else if (roll < 0.92) {
      kind = 'delete certificate (cascades to its SNIs)'
      const c = take(ids.certificates)
      if (c) await ok(h.client.delete(`/certificates/${c}`), 'delete certificate')
    } else if (roll < 0.96) {
      kind = 'delete service (its routes first)'
      // A service with routes cannot be deleted; delete one without.
      const s = ids.services.pop()
      if (s) {
        const routes = (await h.client.get(`/services/${s}/routes`)).body as { data: Array<{ id: string }> }
        for (const r of routes.data) {
          await ok(h.client.delete(`/routes/${r.id}`), 'delete route')
          ids.routes = ids.routes.filter((id) => id !== r.id)
        }
        await ok(h.client.delete(`/services/${s}`), 'delete service')
      }
    } else {
      kind = 'delete target'
      const t = take(ids.targets)
      if (t) await ok(h.client.delete(`/upstreams/${t.upstream}/targets/${t.id}`), 'delete target')
    }
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
    if (step % 8 === 7) {
      const running = await cache.head()
      const full = await fullHash()
      assert.deepEqual({ version: running.version, hash: running.hash }, full, `step ${step} (${kind})`)
    }
  }
  h.checkNoServerErrors()
  const running = await cache.head()
  assert.deepEqual({ version: running.version, hash: running.hash }, await fullHash())
  assert.equal(cache.builds, 1, 'no version after the first read the whole database')
  assert.ok(cache.eventsApplied > 100, `events applied: ${cache.eventsApplied}`)
  for (const k of ['delete upstream (cascades to its targets)', 'delete route (cascades to its plugins)', 'delete consumer (cascades to its plugins and credentials)', 'delete certificate (cascades to its SNIs)']) {
    assert.ok((kinds.get(k) ?? 0) > 0, `never tried: ${k}`)
  }

  // The snapshot of this version carries the running hash; many followers asking at once cost
  // one read and one serialisation.
  const snapshots = await Promise.all(Array.from({ length: 20 }, () => cache.current()))
  assert.equal(cache.builds, 2)
  assert.ok(snapshots.every((s) => s === snapshots[0]))
  const body = JSON.parse(snapshots[0]!.body) as { version: number; hash: string }
  assert.equal(body.version, running.version)
  assert.equal(body.hash, running.hash)
})

test('a hash caught up across a new epoch starts again from a full read', async () => {
  const cache = new SnapshotCache(h.cp.store)
  await cache.head()
  await h.cp.store.rotateEpoch()
  await created('/upstreams', { name: 'after-rotation.test' })
  const running = await cache.head()
  assert.equal(cache.builds, 2)
  assert.deepEqual({ version: running.version, hash: running.hash }, await fullHash())
  assert.equal(running.epoch, await h.cp.store.epoch())
})
