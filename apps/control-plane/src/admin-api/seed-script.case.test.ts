// The README's "Kong curl examples", replayed byte for byte as `curl -d` sends them
// (form-urlencoded, values not escaped, several -d joined by `&`), with the exact responses:
// one upstream per algorithm, weighted targets, a weight change by POST (our extension, 200),
// a backup target, and a healthchecks PATCH with dotted keys; then a service and a route.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Json, Reply } from './client.js'
import { ROUTE_DEFAULTS, SERVICE_DEFAULTS, UPSTREAM_DEFAULTS, expectStatus } from './fixtures.js'
import type { AdminHarness } from './harness.js'

/** `curl -s [-X method] localhost:8001<path> -d a -d b`, as curl puts it on the wire. */
function curl(h: AdminHarness, path: string, data: string[], method = 'POST'): Promise<Reply> {
  return h.client.form(method, path, data.join('&'))
}

/** Server-generated fields, checked for shape and then set aside for exact comparison. */
function stripGenerated(body: Json, fraction: boolean): Json {
  assert.match(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  for (const key of ['created_at', 'updated_at']) {
    assert.equal(typeof body[key], 'number', key)
    if (!fraction) assert.ok(Number.isInteger(body[key]), `${key} in whole seconds`)
  }
  const { id: _id, created_at: _c, updated_at: _u, ...rest } = body
  return rest
}

export function runSeedScriptCase(h: AdminHarness): void {
  test('the README curl script gets the exact responses', async () => {
    const rr = expectStatus(await curl(h, '/upstreams', ['name=llm.rr']), 201)
    assert.deepEqual(stripGenerated(rr, false), { ...UPSTREAM_DEFAULTS, name: 'llm.rr' })
    const lc = expectStatus(await curl(h, '/upstreams', ['name=llm.lc', 'algorithm=least-connections']), 201)
    assert.deepEqual(stripGenerated(lc, false), { ...UPSTREAM_DEFAULTS, name: 'llm.lc', algorithm: 'least-connections' })
    const hash = expectStatus(await curl(h, '/upstreams', ['name=llm.hash', 'hash_on=header', 'hash_on_header=x-user']), 201)
    assert.deepEqual(stripGenerated(hash, false), {
      ...UPSTREAM_DEFAULTS,
      name: 'llm.hash',
      algorithm: 'consistent-hashing',
      hash_on: 'header',
      hash_on_header: 'x-user',
    })
    const lat = expectStatus(await curl(h, '/upstreams', ['name=llm.lat', 'algorithm=latency']), 201)
    assert.deepEqual(stripGenerated(lat, false), { ...UPSTREAM_DEFAULTS, name: 'llm.lat', algorithm: 'latency' })

    const targets = '/upstreams/llm.rr/targets'
    const first = expectStatus(await curl(h, targets, ['target=10.0.0.1:8000', 'weight=100']), 201)
    const target = { upstream: { id: rr.id }, target: '10.0.0.1:8000', weight: 100, tags: null, backup: false, rpm: null, tpm: null }
    assert.deepEqual(stripGenerated(first, true), target)
    const reweighted = await curl(h, targets, ['target=10.0.0.1:8000', 'weight=50'])
    const second = expectStatus(reweighted, 200)
    assert.deepEqual(stripGenerated(second, true), { ...target, weight: 50 })
    assert.equal(second.id, first.id)
    assert.equal(second.created_at, first.created_at)
    const standby = expectStatus(await curl(h, targets, ['target=10.0.0.9:8000', 'backup=true']), 201)
    assert.deepEqual(stripGenerated(standby, true), { ...target, target: '10.0.0.9:8000', backup: true })

    const patched = await curl(
      h,
      '/upstreams/llm.rr',
      [
        'healthchecks.active.http_path=/health',
        'healthchecks.active.healthy.interval=5',
        'healthchecks.active.unhealthy.interval=5',
        'healthchecks.passive.healthy.successes=3',
        'healthchecks.passive.unhealthy.http_failures=3',
      ],
      'PATCH'
    )
    const hc = structuredClone(UPSTREAM_DEFAULTS.healthchecks) as Json
    hc.active.http_path = '/health'
    hc.active.healthy.interval = 5
    hc.active.unhealthy.interval = 5
    hc.passive.healthy.successes = 3
    hc.passive.unhealthy.http_failures = 3
    const upstream = expectStatus(patched, 200)
    assert.deepEqual(stripGenerated(upstream, false), { ...UPSTREAM_DEFAULTS, name: 'llm.rr', healthchecks: hc })
    assert.equal(upstream.id, rr.id)
    // lua-cjson escapes forward slashes; scripts that grep the raw text see the same bytes.
    assert.ok(patched.text.includes('"http_path":"\\/health"'), patched.text)

    const service = expectStatus(await curl(h, '/services', ['name=chat', 'host=llm.rr']), 201)
    assert.deepEqual(stripGenerated(service, false), { ...SERVICE_DEFAULTS, name: 'chat', host: 'llm.rr' })
    const route = expectStatus(await curl(h, '/services/chat/routes', ['paths[]=/v1']), 201)
    assert.deepEqual(stripGenerated(route, false), { ...ROUTE_DEFAULTS, paths: ['/v1'], service: { id: service.id } })

    const listed = expectStatus(await h.client.get(targets), 200)
    assert.deepEqual(
      listed.data.map((t: Json) => [t.target, t.weight, t.backup]).sort(),
      [
        ['10.0.0.1:8000', 50, false],
        ['10.0.0.9:8000', 100, true],
      ]
    )
  })
}
