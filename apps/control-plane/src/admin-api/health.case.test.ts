// Health endpoint cases: reference §4.3–4.4 and §8 cases 45–50, 93 and 94 — `GET /upstreams/{u}/health`
// (Kong's shape, HEALTHCHECKS_OFF, weight 0, DNS_ERROR, node_id, newest first, paging),
// `?balancer_health=1`, and `PUT …/targets/{t}[/{address}]/healthy|unhealthy`. Case 102 differs on
// purpose: POST is accepted too (Kong 2.x scripts). The harness gives the control plane an
// in-memory health store, as the standalone gateway does.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Json } from './client.js'
import { collectPages, createTarget, createUpstream, expectMessage, expectStatus, newId } from './fixtures.js'
import type { AdminHarness } from './harness.js'

/** Case 45's upstream: passive checks on with every threshold at 1. */
const PASSIVE_ON = { passive: { healthy: { successes: 1 }, unhealthy: { tcp_failures: 1, http_failures: 1, timeouts: 1 } } }

const pause = () => new Promise((r) => setTimeout(r, 3))

export function runHealthCases(h: AdminHarness): void {
  const health = async (u: string, query = ''): Promise<Json> => expectStatus(await h.client.get(`/upstreams/${u}/health${query}`), 200)
  /** `target string → [target health, address healths]` from GET …/health. */
  const states = async (u: string): Promise<Record<string, [string, string[]]>> => {
    const body = await health(u)
    const out: Record<string, [string, string[]]> = {}
    for (const t of body.data) {
      out[t.target] = [t.health, Array.isArray(t.data.addresses) ? t.data.addresses.map((a: Json) => a.health) : []]
    }
    return out
  }
  const put = (u: string, t: string, status: 'healthy' | 'unhealthy', method = 'PUT') =>
    h.client.request(method, `/upstreams/${u}/targets/${t}/${status}`)

  test('GET /health with checks off: node_id of GET /, newest first, HEALTHCHECKS_OFF everywhere (case 47)', async () => {
    const u = await createUpstream(h.client, 'my.upstream')
    const created: Json[] = []
    // Kong's spec uses an /etc/hosts name; `localhost` is the resolvable name every machine has.
    for (const host of ['127.0.0.1', 'localhost']) {
      for (const port of [81, 82, 83, 84]) {
        created.push(await createTarget(h.client, 'my.upstream', `${host}:${port}`))
        await pause()
      }
    }
    const root = expectStatus(await h.client.get('/'), 200)
    for (const path of ['my.upstream', `${u.id}`]) {
      for (const slash of ['', '/']) {
        const body = await health(path, slash)
        assert.equal(body.node_id, root.node_id)
        assert.equal(body.next, null)
        assert.equal(body.data.length, 8)
        assert.deepEqual(
          body.data.map((t: Json) => t.id),
          [...created].reverse().map((t) => t.id),
          'newest first'
        )
        assert.equal(body.data[0].id, created[7].id)
        assert.equal(body.data[1].target, 'localhost:83')
        assert.equal(body.data[2].target, 'localhost:82')
        for (const t of body.data) {
          assert.equal(t.health, 'HEALTHCHECKS_OFF', t.target)
          assert.ok(t.data.addresses.length > 0, t.target)
          for (const a of t.data.addresses) assert.equal(a.health, 'HEALTHCHECKS_OFF', t.target)
        }
      }
    }
  })

  test('each item is the target plus health and Kong’s balancer data (reference §4.4)', async () => {
    await createUpstream(h.client, 'my.upstream')
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8081', { weight: 10 })
    const v6 = await createTarget(h.client, 'my.upstream', '[::1]:8082', { weight: 20 })
    const body = await health('my.upstream')
    const byTarget = Object.fromEntries(body.data.map((x: Json) => [x.target, x]))
    assert.deepEqual(byTarget['127.0.0.1:8081'], {
      ...t,
      health: 'HEALTHCHECKS_OFF',
      data: {
        host: '127.0.0.1',
        port: 8081,
        dns: 'A',
        nodeWeight: 10,
        weight: { total: 10, available: 10, unavailable: 0 },
        addresses: [{ ip: '127.0.0.1', port: 8081, weight: 10, health: 'HEALTHCHECKS_OFF' }],
      },
    })
    const six = byTarget[v6.target]
    assert.equal(six.id, v6.id)
    assert.equal(six.data.dns, 'AAAA')
    assert.equal(six.data.port, 8082)
    assert.deepEqual(six.data.weight, { total: 20, available: 20, unavailable: 0 })
    assert.equal(six.data.addresses.length, 1)
    assert.equal(six.data.addresses[0].port, 8082)
  })

  test('unresolvable targets are DNS_ERROR with "addresses":{} (case 48)', async () => {
    await createUpstream(h.client, 'my.upstream')
    for (let i = 1; i <= 4; i++) await createTarget(h.client, 'my.upstream', `bad-health-target-${i}.invalid:80`)
    const r = await h.client.get('/upstreams/my.upstream/health')
    const body = expectStatus(r, 200)
    assert.equal(body.data.length, 4)
    for (const t of body.data) {
      assert.equal(t.health, 'DNS_ERROR', t.target)
      assert.deepEqual(t.data.addresses, {})
      assert.equal(typeof t.data.dns, 'string')
    }
    assert.ok(r.text.includes('"addresses":{}'), 'an empty Lua table encodes as an object')
    assert.ok(!r.text.includes('"addresses":[]'))
  })

  test('enabling checks by PATCH: resolvable targets HEALTHY, unresolvable DNS_ERROR (case 49)', async () => {
    await createUpstream(h.client, 'my.upstream')
    for (const t of ['127.0.0.1:81', 'localhost:82', 'bad-health-target-1.invalid:80']) await createTarget(h.client, 'my.upstream', t)
    const before = await states('my.upstream')
    assert.deepEqual(before['127.0.0.1:81'], ['HEALTHCHECKS_OFF', ['HEALTHCHECKS_OFF']])
    expectStatus(await h.client.patch('/upstreams/my.upstream', { healthchecks: PASSIVE_ON }), 200)
    const after = await states('my.upstream')
    assert.deepEqual(after['127.0.0.1:81'], ['HEALTHY', ['HEALTHY']])
    assert.equal(after['localhost:82']![0], 'HEALTHY')
    assert.ok(after['localhost:82']![1].every((s) => s === 'HEALTHY'))
    assert.deepEqual(after['bad-health-target-1.invalid:80'], ['DNS_ERROR', []])
  })

  test('weight-0 targets stay HEALTHCHECKS_OFF with checks on, until they get a weight (case 50)', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    expectStatus(await h.client.post('/upstreams/my.upstream/targets', { target: 'localhost:2221', weight: 0 }), 201)
    const body = await health('my.upstream')
    assert.equal(body.data.length, 1)
    assert.ok(body.data[0].data.addresses.length > 0)
    for (const a of body.data[0].data.addresses) assert.equal(a.health, 'HEALTHCHECKS_OFF')
    assert.deepEqual(body.data[0].data.weight, { total: 0, available: 0, unavailable: 0 })
    expectStatus(await h.client.patch('/upstreams/my.upstream/targets/localhost:2221', { weight: 10 }), 200)
    const after = await health('my.upstream')
    assert.equal(after.data[0].health, 'HEALTHY')
    for (const a of after.data[0].data.addresses) assert.equal(a.health, 'HEALTHY')
  })

  test('GET /health pages newest first with numeric offsets and a next link', async () => {
    const u = await createUpstream(h.client, 'my.upstream')
    for (let i = 0; i < 5; i++) {
      await createTarget(h.client, 'my.upstream', `127.0.0.${i + 1}:80`)
      await pause()
    }
    const first = await health('my.upstream', '?size=2')
    assert.equal(first.data.length, 2)
    assert.equal(first.offset, '2')
    assert.equal(first.next, '/upstreams/my.upstream/health?offset=2')
    assert.ok(first.node_id)
    const byId = await health(u.id, '?size=2')
    assert.equal(byId.next, `/upstreams/${u.id}/health?offset=2`, 'next names the upstream as given')
    const pages = await collectPages(h.client, '/upstreams/my.upstream/health', 2)
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1])
    const listed = expectStatus(await h.client.get('/upstreams/my.upstream/targets'), 200)
    assert.deepEqual(pages.flat().map((t) => t.id), listed.data.map((t: Json) => t.id), 'same order as the targets listing')
    const last = await health('my.upstream', '?size=2&offset=4')
    assert.equal(last.next, null)
    assert.equal(last.offset, undefined)
  })

  test('GET /health of a missing upstream is 404', async () => {
    expectMessage(await h.client.get(`/upstreams/${newId()}/health`), 404, 'Not found')
    expectMessage(await h.client.get('/upstreams/not-there/health'), 404, 'Not found')
    expectMessage(await h.client.get('/upstreams/not-there/health?balancer_health=1'), 404, 'Not found')
  })

  test('?balancer_health=1 with checks off: HEALTHCHECKS_OFF, HEALTHY with weight, UNHEALTHY without (case 94)', async () => {
    const u = await createUpstream(h.client, 'my.upstream')
    const root = expectStatus(await h.client.get('/'), 200)
    const empty = await health('my.upstream', '?balancer_health=1')
    assert.equal(empty.data.id, u.id)
    assert.equal(empty.data.health, 'HEALTHCHECKS_OFF')
    assert.equal(empty.data.balancer_health, 'UNHEALTHY', 'no targets')
    assert.equal(empty.data.details.healthy, false)

    await createTarget(h.client, 'my.upstream', '127.0.0.1:8081')
    const body = await health('my.upstream', '?balancer_health=1')
    assert.deepEqual(body, {
      data: {
        id: u.id,
        health: 'HEALTHCHECKS_OFF',
        balancer_health: 'HEALTHY',
        details: {
          healthy: true,
          weight: { total: 100, available: 100, unavailable: 0 },
          hosts: [
            {
              host: '127.0.0.1',
              port: 8081,
              dns: 'A',
              nodeWeight: 100,
              weight: { total: 100, available: 100, unavailable: 0 },
              addresses: [{ ip: '127.0.0.1', port: 8081, weight: 100, healthy: true }],
            },
          ],
        },
      },
      next: null,
      node_id: root.node_id,
    })

    // Only the literal 1 asks for the balancer view.
    for (const q of ['?balancer_health=true', '?balancer_health=0', '?balancer_health=']) {
      assert.ok(Array.isArray((await health('my.upstream', q)).data), q)
    }

    // Only weight-0 targets: nothing to balance over.
    await createUpstream(h.client, 'zero.upstream')
    await createTarget(h.client, 'zero.upstream', '127.0.0.1:8081', { weight: 0 })
    assert.equal((await health('zero.upstream', '?balancer_health=1')).data.balancer_health, 'UNHEALTHY')
  })

  test('?balancer_health=1 with checks on follows target health and healthchecks.threshold', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: { ...PASSIVE_ON, threshold: 50 } })
    await createTarget(h.client, 'my.upstream', '127.0.0.1:8081')
    await createTarget(h.client, 'my.upstream', '127.0.0.1:8082')
    let body = await health('my.upstream', '?balancer_health=1')
    assert.deepEqual([body.data.health, body.data.balancer_health, body.data.details.healthy], ['HEALTHY', 'HEALTHY', true])

    assert.equal((await put('my.upstream', '127.0.0.1:8081', 'unhealthy')).status, 204)
    body = await health('my.upstream', '?balancer_health=1')
    // 100 of 200 available = 50 %, not above the threshold of 50.
    assert.deepEqual([body.data.health, body.data.balancer_health, body.data.details.healthy], ['UNHEALTHY', 'UNHEALTHY', false])
    assert.deepEqual(body.data.details.weight, { total: 200, available: 100, unavailable: 100 })
    const hosts = Object.fromEntries(body.data.details.hosts.map((x: Json) => [x.port, x]))
    assert.deepEqual(hosts[8081].addresses, [{ ip: '127.0.0.1', port: 8081, weight: 100, healthy: false }])
    assert.deepEqual(hosts[8081].weight, { total: 100, available: 0, unavailable: 100 })
    assert.equal(hosts[8082].addresses[0].healthy, true)

    expectStatus(await h.client.patch('/upstreams/my.upstream', { healthchecks: { threshold: 40 } }), 200)
    body = await health('my.upstream', '?balancer_health=1')
    assert.deepEqual([body.data.health, body.data.balancer_health], ['HEALTHY', 'HEALTHY'], '50 % is above 40')
  })

  test('PUT …/unhealthy and …/healthy answer 204 and show in /health, in either order (case 46)', async () => {
    const u = await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192', { weight: 10 })
    await createTarget(h.client, 'my.upstream', '127.0.0.1:8193', { weight: 10 })
    const r = await put(u.id, t.target, 'unhealthy')
    assert.deepEqual([r.status, r.text], [204, ''])
    let s = await states(u.id)
    assert.deepEqual(s['127.0.0.1:8192'], ['UNHEALTHY', ['UNHEALTHY']])
    assert.deepEqual(s['127.0.0.1:8193'], ['HEALTHY', ['HEALTHY']], 'the other target is untouched')
    const item = (await health(u.id)).data.find((x: Json) => x.target === t.target)
    assert.deepEqual(item.data.weight, { total: 10, available: 0, unavailable: 10 })

    assert.equal((await put(u.id, t.id, 'healthy')).status, 204)
    s = await states(u.id)
    assert.deepEqual(s['127.0.0.1:8192'], ['HEALTHY', ['HEALTHY']])

    // Reverse order; repeated calls are idempotent.
    for (const step of ['healthy', 'unhealthy', 'unhealthy'] as const) assert.equal((await put('my.upstream', t.id, step)).status, 204)
    assert.deepEqual((await states(u.id))['127.0.0.1:8192'], ['UNHEALTHY', ['UNHEALTHY']])
    assert.equal((await put('my.upstream', t.target, 'healthy')).status, 204)
    assert.deepEqual((await states(u.id))['127.0.0.1:8192'], ['HEALTHY', ['HEALTHY']])
  })

  test('extension: POST works like PUT on …/healthy|unhealthy, for Kong 2.x scripts (case 102 differs)', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    const r = await put('my.upstream', t.target, 'unhealthy', 'POST')
    assert.deepEqual([r.status, r.text], [204, ''])
    assert.equal((await states('my.upstream'))[t.target]![0], 'UNHEALTHY')
    assert.equal((await put('my.upstream', t.target, 'healthy', 'POST')).status, 204)
    assert.equal((await states('my.upstream'))[t.target]![0], 'HEALTHY')
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      expectMessage(await put('my.upstream', t.target, 'healthy', method), 405, 'Method not allowed')
    }
  })

  test('with checks off, healthy/unhealthy is 400 "no healthchecker found for <name>" (case 93)', async () => {
    const u = await createUpstream(h.client, 'my.upstream')
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    for (const status of ['healthy', 'unhealthy'] as const) {
      for (const method of ['PUT', 'POST']) {
        for (const [ur, tr] of [
          ['my.upstream', t.target],
          [u.id, t.id],
          ['my.upstream', `${t.target}/127.0.0.1:8192`],
        ]) {
          expectMessage(await put(ur, tr, status, method), 400, 'no healthchecker found for my.upstream')
        }
      }
    }
    // An unknown target is still 404 first.
    expectMessage(await put('my.upstream', '127.0.0.1:9999', 'healthy'), 404, 'Not found')
    // Setting the state is refused, so /health still says OFF.
    assert.deepEqual((await states('my.upstream'))[t.target], ['HEALTHCHECKS_OFF', ['HEALTHCHECKS_OFF']])
  })

  test('healthy/unhealthy: 204 only for this upstream’s target by name or id, 404 otherwise (case 45)', async () => {
    const hosts = ['127.0.0.1', '[0000:0000:0000:0000:0000:0000:0000:0001]', 'localhost']
    for (const [i, host] of hosts.entries()) {
      const U = await createUpstream(h.client, `u${i}.test`, { healthchecks: PASSIVE_ON })
      const T = await createTarget(h.client, U.name, `${host}:8192`, { weight: 10 })
      await createUpstream(h.client, `w${i}.test`, { healthchecks: PASSIVE_ON })
      const W = await createTarget(h.client, `w${i}.test`, `${host}:8192`, { weight: 10 })
      assert.equal(T.target, `${host}:8192`)
      const upstreamKeys: [string, boolean][] = [
        [newId(), false],
        ['invalid', false],
        [U.name, true],
        [U.id, true],
      ]
      const targetKeys: [string, boolean][] = [
        [newId(), false],
        ['invalid:1234', false],
        [W.id, false],
        [T.target, true],
        [T.id, true],
      ]
      for (const [uk, uOk] of upstreamKeys) {
        for (const [tk, tOk] of targetKeys) {
          for (const status of ['healthy', 'unhealthy'] as const) {
            const r = await put(uk, tk, status)
            const where = `PUT /upstreams/${uk}/targets/${tk}/${status}`
            if (uOk && tOk) assert.deepEqual([r.status, r.text], [204, ''], where)
            else expectMessage(r, 404, 'Not found')
          }
        }
      }
      // The last call for T was "unhealthy"; W, the same address elsewhere, was never touched.
      assert.equal((await states(U.id))[T.target]![0], 'UNHEALTHY', host)
      assert.equal((await states(`w${i}.test`))[W.target]![0], 'HEALTHY', `${host}: another upstream's target with the same address`)
    }
  })

  test('the {address} variant sets one address of the target', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    const d = await createTarget(h.client, 'my.upstream', '127.0.0.1:8000')
    const named = await createTarget(h.client, 'my.upstream', 'localhost:8193')
    const resolved = (await health('my.upstream')).data.find((x: Json) => x.target === named.target).data.addresses[0].ip

    let r = await put('my.upstream', `${t.target}/127.0.0.1:8192`, 'unhealthy')
    assert.deepEqual([r.status, r.text], [204, ''])
    assert.deepEqual((await states('my.upstream'))[t.target], ['UNHEALTHY', ['UNHEALTHY']])
    assert.equal((await put('my.upstream', `${t.id}/127.0.0.1:8192`, 'healthy')).status, 204)
    assert.deepEqual((await states('my.upstream'))[t.target], ['HEALTHY', ['HEALTHY']])

    // An address without a port means port 8000, not the target's port.
    assert.equal((await put('my.upstream', `${d.target}/127.0.0.1`, 'unhealthy')).status, 204)
    assert.equal((await states('my.upstream'))[d.target]![0], 'UNHEALTHY')
    expectMessage(await put('my.upstream', `${t.target}/127.0.0.1`, 'unhealthy'), 404, 'Not found')
    // A name target is addressed by the IP it resolves to.
    assert.equal((await put('my.upstream', `${named.target}/${resolved.includes(':') ? `[${resolved}]` : resolved}:8193`, 'unhealthy')).status, 204)
    assert.equal((await states('my.upstream'))[named.target]![0], 'UNHEALTHY')
    // IPv6 may be written compressed; it is compared in Kong's expanded form.
    const v6 = await createTarget(h.client, 'my.upstream', '[::1]:8194')
    assert.equal((await put('my.upstream', `${v6.id}/[::1]:8194`, 'unhealthy')).status, 204)
    assert.equal((await states('my.upstream'))[v6.target]![0], 'UNHEALTHY')
    // An address that is not the target's is not found; nothing changes.
    expectMessage(await put('my.upstream', `${t.target}/127.0.0.2:8192`, 'unhealthy'), 404, 'Not found')
    expectMessage(await put('my.upstream', `${t.target}/127.0.0.1:8193`, 'unhealthy'), 404, 'Not found')
    expectMessage(await put('not-there', `${t.target}/127.0.0.1:8192`, 'unhealthy'), 404, 'Not found')
    assert.equal((await states('my.upstream'))[t.target]![0], 'HEALTHY')
  })

  test('the README seed: PATCH with dotted healthchecks keys, then GET …/health shows the states', async () => {
    const curl = (method: string, path: string, data: string[]) => h.client.form(method, path, data.join('&'))
    expectStatus(await curl('POST', '/upstreams', ['name=llm.rr']), 201)
    expectStatus(await curl('POST', '/upstreams/llm.rr/targets', ['target=10.0.0.1:8000', 'weight=100']), 201)
    expectStatus(await curl('POST', '/upstreams/llm.rr/targets', ['target=10.0.0.9:8000', 'backup=true']), 201)
    const before = await states('llm.rr')
    assert.deepEqual(before['10.0.0.1:8000'], ['HEALTHCHECKS_OFF', ['HEALTHCHECKS_OFF']])

    const patched = await curl('PATCH', '/upstreams/llm.rr', [
      'healthchecks.active.http_path=/health',
      'healthchecks.active.healthy.interval=5',
      'healthchecks.active.unhealthy.interval=5',
      'healthchecks.passive.healthy.successes=3',
      'healthchecks.passive.unhealthy.http_failures=3',
    ])
    expectStatus(patched, 200)
    const body = await health('llm.rr')
    assert.deepEqual(
      body.data.map((t: Json) => [t.target, t.health, t.data.addresses]),
      [
        ['10.0.0.9:8000', 'HEALTHY', [{ ip: '10.0.0.9', port: 8000, weight: 100, health: 'HEALTHY' }]],
        ['10.0.0.1:8000', 'HEALTHY', [{ ip: '10.0.0.1', port: 8000, weight: 100, health: 'HEALTHY' }]],
      ]
    )
    const balancer = await health('llm.rr', '?balancer_health=1')
    assert.deepEqual([balancer.data.health, balancer.data.balancer_health], ['HEALTHY', 'HEALTHY'])

    expectStatus(await curl('PUT', '/upstreams/llm.rr/targets/10.0.0.1:8000/unhealthy', []), 204)
    const after = await states('llm.rr')
    assert.deepEqual(after['10.0.0.1:8000'], ['UNHEALTHY', ['UNHEALTHY']])
    assert.deepEqual(after['10.0.0.9:8000'], ['HEALTHY', ['HEALTHY']])
  })

  test('an upstream PATCH or a new target does not reset a manual state', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    assert.equal((await put('my.upstream', t.target, 'unhealthy')).status, 204)
    expectStatus(await h.client.patch('/upstreams/my.upstream', { slots: 100, algorithm: 'least-connections' }), 200)
    await createTarget(h.client, 'my.upstream', '127.0.0.1:8193')
    expectStatus(await h.client.patch(`/upstreams/my.upstream/targets/${t.id}`, { weight: 20 }), 200)
    const s = await states('my.upstream')
    assert.deepEqual(s[t.target], ['UNHEALTHY', ['UNHEALTHY']])
    assert.deepEqual(s['127.0.0.1:8193'], ['HEALTHY', ['HEALTHY']])
  })

  test('deleting a target clears its health: added again, it starts healthy (as Kong)', async () => {
    await createUpstream(h.client, 'my.upstream', { healthchecks: PASSIVE_ON })
    const t = await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    assert.equal((await put('my.upstream', t.target, 'unhealthy')).status, 204)
    assert.deepEqual((await states('my.upstream'))[t.target], ['UNHEALTHY', ['UNHEALTHY']])
    assert.equal((await h.client.delete(`/upstreams/my.upstream/targets/${t.target}`)).status, 204)
    await createTarget(h.client, 'my.upstream', '127.0.0.1:8192')
    // The clear runs after the commit; give it a moment.
    for (let i = 0; i < 50 && (await states('my.upstream'))[t.target]?.[0] !== 'HEALTHY'; i++) await pause()
    assert.deepEqual((await states('my.upstream'))[t.target], ['HEALTHY', ['HEALTHY']])
  })
}
