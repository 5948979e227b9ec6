// What a certificate write hands to the in-process data plane (the gateway's onCommit): the
// stored rows, exactly as a data plane reading the outbox gets them — the `snis` the API shows
// is computed for the answer and must not leak into the configuration (or its hash).

import { configHash } from '@switchyard/cluster'
import type { OutboxEvent } from '@switchyard/db'
import { createLogger } from '@switchyard/log'
import { createCertificate } from '@switchyard/server'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createControlPlane } from '../control-plane.js'

test('committed certificate events carry the stored row, not the presented snis', async () => {
  const committed: OutboxEvent[] = []
  const cp = await createControlPlane({
    databaseUrl: undefined,
    log: createLogger({ level: 'silent' }),
    onCommit: (events) => committed.push(...events),
  })
  const server = http.createServer(cp.app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const pair = createCertificate({ commonName: 'c.test', notBefore: Date.now() - 1000, notAfter: Date.now() + 1e9 })
    const send = (method: string, path: string, body: unknown) =>
      fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const created = await send('POST', '/certificates', { cert: pair.cert, key: pair.key, snis: ['c.test'] })
    assert.equal(created.status, 201)
    assert.deepEqual(((await created.json()) as { snis: string[] }).snis, ['c.test'])
    const patched = await send('PATCH', '/certificates/c.test', { tags: ['t'] })
    assert.equal(patched.status, 200)

    const certEvents = committed.filter((e) => e.entity === 'certificates')
    assert.equal(certEvents.length, 2)
    for (const e of certEvents) assert.ok(!('snis' in (e.payload ?? {})), 'no snis in the payload')
    // Applying the committed payloads gives the database's configuration, hash included.
    const latest = new Map<string, OutboxEvent>()
    for (const e of committed) latest.set(`${e.entity}:${e.id}`, e)
    const byKind: Record<string, unknown[]> = {}
    for (const e of latest.values()) (byKind[e.entity] ??= []).push(e.payload)
    const snapshot = await cp.store.snapshot()
    assert.equal(configHash(byKind as never), configHash(snapshot.entities))
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cp.close()
  }
})
