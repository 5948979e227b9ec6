// Outbox cases (DESIGN "Cluster protocol"): every successful Admin API write appends one
// `config_events` row in its transaction, with the entity after the change (or the deleted
// one); a refused write appends nothing. Data planes converge by following these rows.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Json, Reply } from './client.js'
import { createRoute, createService, createTarget, createUpstream, expectStatus, newId } from './fixtures.js'
import type { AdminHarness } from './harness.js'

interface WriteCase {
  name: string
  /** Runs after the fixture (upstream u.test with target a.test:80, service s, route r). */
  write: (h: AdminHarness) => Promise<Reply>
  status: number
  /** Events the write must append, as `entity op`. */
  events: string[]
}

const CASES: WriteCase[] = [
  {
    name: 'POST upstream',
    write: (h) => h.client.post('/upstreams', { name: 'new.test' }),
    status: 201,
    events: ['upstreams upsert'],
  },
  {
    name: 'PATCH upstream',
    write: (h) => h.client.patch('/upstreams/u.test', { slots: 20 }),
    status: 200,
    events: ['upstreams upsert'],
  },
  {
    name: 'PUT upstream (replace)',
    write: (h) => h.client.put('/upstreams/u.test', {}),
    status: 200,
    events: ['upstreams upsert'],
  },
  {
    name: 'PUT upstream (create)',
    write: (h) => h.client.put('/upstreams/v.test', {}),
    status: 200,
    events: ['upstreams upsert'],
  },
  // The data plane drops the targets of a deleted upstream itself.
  {
    name: 'DELETE upstream with a target',
    write: (h) => h.client.delete('/upstreams/u.test'),
    status: 204,
    events: ['upstreams delete'],
  },
  {
    name: 'POST target',
    write: (h) => h.client.post('/upstreams/u.test/targets', { target: 'b.test:80' }),
    status: 201,
    events: ['targets upsert'],
  },
  {
    name: 'POST existing target (extension update)',
    write: (h) => h.client.post('/upstreams/u.test/targets', { target: 'a.test:80', weight: 5 }),
    status: 200,
    events: ['targets upsert'],
  },
  {
    name: 'PATCH target',
    write: (h) => h.client.patch('/upstreams/u.test/targets/a.test:80', { weight: 5 }),
    status: 200,
    events: ['targets upsert'],
  },
  {
    name: 'PUT target',
    write: (h) => h.client.put('/upstreams/u.test/targets/a.test:80', { weight: 5 }),
    status: 200,
    events: ['targets upsert'],
  },
  {
    name: 'DELETE target',
    write: (h) => h.client.delete('/upstreams/u.test/targets/a.test:80'),
    status: 204,
    events: ['targets delete'],
  },
  {
    name: 'POST service',
    write: (h) => h.client.post('/services', { host: 'x.test' }),
    status: 201,
    events: ['services upsert'],
  },
  {
    name: 'PATCH service',
    write: (h) => h.client.patch('/services/s', { retries: 1 }),
    status: 200,
    events: ['services upsert'],
  },
  {
    name: 'PUT service',
    write: (h) => h.client.put('/services/s', { host: 'y.test' }),
    status: 200,
    events: ['services upsert'],
  },
  {
    name: 'POST route',
    write: (h) => h.client.post('/routes', { paths: ['/n'] }),
    status: 201,
    events: ['routes upsert'],
  },
  {
    name: 'POST nested route',
    write: (h) => h.client.post('/services/s/routes', { paths: ['/n'] }),
    status: 201,
    events: ['routes upsert'],
  },
  {
    name: 'PATCH route',
    write: (h) => h.client.patch('/routes/r', { paths: ['/p'] }),
    status: 200,
    events: ['routes upsert'],
  },
  {
    name: 'PUT route',
    write: (h) => h.client.put('/routes/r', { paths: ['/p'] }),
    status: 200,
    events: ['routes upsert'],
  },
  {
    name: 'DELETE route',
    write: (h) => h.client.delete('/routes/r'),
    status: 204,
    events: ['routes delete'],
  },
  {
    name: 'PATCH /routes/{r}/service',
    write: (h) => h.client.patch('/routes/r/service', { retries: 2 }),
    status: 200,
    events: ['services upsert'],
  },
  {
    name: 'PUT /routes/{r}/service on a route without one',
    write: (h) => h.client.put('/routes/lone/service', { host: 'z.test' }),
    status: 200,
    events: ['services upsert', 'routes upsert'],
  },
  // Refused or empty writes append nothing.
  { name: 'invalid POST', write: (h) => h.client.post('/upstreams', { slots: 1 }), status: 400, events: [] },
  {
    name: 'duplicate POST',
    write: (h) => h.client.post('/upstreams', { name: 'u.test' }),
    status: 409,
    events: [],
  },
  {
    name: 'PATCH of a missing upstream',
    write: (h) => h.client.patch('/upstreams/none.test', { slots: 20 }),
    status: 404,
    events: [],
  },
  {
    name: 'DELETE of a missing upstream',
    write: (h) => h.client.delete(`/upstreams/${newId()}`),
    status: 204,
    events: [],
  },
  {
    name: 'DELETE of a referenced service',
    write: (h) => h.client.delete('/services/s'),
    status: 400,
    events: [],
  },
  {
    name: 'route with an unknown service',
    write: (h) => h.client.post('/routes', { paths: ['/'], service: { id: newId() } }),
    status: 400,
    events: [],
  },
]

export function runOutboxCases(h: AdminHarness): void {
  const fixture = async () => {
    await createUpstream(h.client, 'u.test')
    await createTarget(h.client, 'u.test', 'a.test:80')
    const s = await createService(h.client, { name: 's' })
    await createRoute(h.client, { name: 'r', service: { id: s.id } })
    await createRoute(h.client, { name: 'lone' })
    return (await h.events()).length
  }

  for (const c of CASES) {
    test(`${c.name} appends ${c.events.length === 0 ? 'no event' : c.events.join(', ')}`, async () => {
      const before = await fixture()
      assert.equal(before, 5, 'each fixture write appended one event')
      const reply = await c.write(h)
      expectStatus(reply, c.status)
      const appended = (await h.events()).slice(before)
      assert.deepEqual(appended.map((e) => `${e.entity} ${e.op}`), c.events)
      if (reply.status === 200 || reply.status === 201) {
        // The event carries the entity exactly as the API returned it.
        const own = appended.find((e) => e.id === reply.body.id)
        assert.ok(own, 'an event for the written entity')
        assert.deepEqual(own.payload, reply.body)
      }
    })
  }

  test('versions increase by one per event and deletes carry the deleted row', async () => {
    const u = await createUpstream(h.client, 'v.test')
    const t: Json = await createTarget(h.client, 'v.test', 'a.test:80')
    assert.equal((await h.client.delete(`/upstreams/v.test/targets/${t.id}`)).status, 204)
    assert.equal((await h.client.delete(`/upstreams/${u.id}`)).status, 204)
    const events = await h.events()
    assert.deepEqual(events.map((e) => e.version), [1, 2, 3, 4])
    assert.deepEqual(events.map((e) => [e.entity, e.op, e.id]), [
      ['upstreams', 'upsert', u.id],
      ['targets', 'upsert', t.id],
      ['targets', 'delete', t.id],
      ['upstreams', 'delete', u.id],
    ])
    assert.deepEqual(events[2]!.payload, t)
    assert.deepEqual(events[3]!.payload, u)
    assert.equal(await h.cp.store.latestVersion(), 4)
  })
}
