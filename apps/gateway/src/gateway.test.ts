// End-to-end: the real `npm start` entry point as a child process, on PGlite and on Postgres,
// driven only over HTTP: the seed's Admin API calls, then traffic through the proxy.

import { createTestDatabase, startFakeProvider, startGateway, startUpstream, type GatewayProcess } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'


type Gateway = GatewayProcess

async function form(url: string, method: string, fields: Record<string, string>) {
  const res = await fetch(url, { method, body: new URLSearchParams(fields) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

async function seedScenario(g: Gateway) {
  const a = await startUpstream('model-a')
  const b = await startUpstream('model-b')
  try {
    for (const [name, extra] of [
      ['llm.rr', {}],
      ['llm.lc', { algorithm: 'least-connections' }],
      ['llm.hash', { algorithm: 'consistent-hashing' }],
      ['llm.lat', { algorithm: 'latency' }],
    ] as const) {
      const r = await form(`${g.admin}/upstreams`, 'POST', { name, ...extra })
      assert.equal(r.status, 201, JSON.stringify(r.body))
      assert.equal(r.body.algorithm, 'algorithm' in extra ? extra.algorithm : 'round-robin')
    }
    let r = await form(`${g.admin}/upstreams/llm.rr/targets`, 'POST', { target: a.address, weight: '100' })
    assert.equal(r.status, 201)
    assert.equal(r.body.weight, 100)
    assert.equal(r.body.backup, false)
    r = await form(`${g.admin}/upstreams/llm.rr/targets`, 'POST', { target: a.address, weight: '50' })
    assert.equal(r.status, 200)
    assert.equal(r.body.weight, 50)
    r = await form(`${g.admin}/upstreams/llm.rr/targets`, 'POST', { target: b.address, backup: 'true' })
    assert.equal(r.status, 201)
    assert.equal(r.body.backup, true)
    r = await form(`${g.admin}/upstreams/llm.rr`, 'PATCH', {
      'healthchecks.active.http_path': '/health',
      'healthchecks.active.healthy.interval': '5',
      'healthchecks.active.unhealthy.interval': '5',
      'healthchecks.passive.healthy.successes': '3',
      'healthchecks.passive.unhealthy.http_failures': '3',
    })
    assert.equal(r.status, 200)
    assert.equal(r.body.healthchecks.active.http_path, '/health')
    assert.equal(r.body.healthchecks.passive.unhealthy.http_failures, 3)
    assert.equal(r.body.healthchecks.active.timeout, 1, 'untouched leaves keep their defaults')

    r = await form(`${g.admin}/services`, 'POST', { name: 'chat', host: 'llm.rr' })
    assert.equal(r.status, 201)
    r = await form(`${g.admin}/services/chat/routes`, 'POST', { 'paths[]': '/v1' })
    assert.equal(r.status, 201)

    // The primary takes all traffic; the backup none while the primary is usable.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${g.proxy}/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' })
      assert.equal(res.status, 200)
      assert.equal(await res.text(), 'model-a')
    }
    // Active checks are on (the seed's PATCH), so both targets also see probes of /health.
    const proxied = (u: typeof a) => u.requests.filter((r) => r.url !== '/health')
    assert.equal(proxied(b).length, 0)
    assert.equal(proxied(a).length, 5)
    assert.equal(proxied(a).at(-1)!.url, '/chat/completions')
    assert.ok(a.requests.every((r) => r.url === '/chat/completions' || r.url === '/health'))
    const miss = await fetch(`${g.proxy}/nope`)
    assert.equal(miss.status, 404)
    assert.deepEqual(await miss.json(), { message: 'no Route matched with those values' })
  } finally {
    await a.close()
    await b.close()
  }
}

describe('npm start entry point', () => {
  test('on PGlite: seed script through the Admin API, traffic through the proxy, data survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-gw-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const g = await startGateway({ SWITCHYARD_DATA_DIR: dir })
    try {
      assert.match(g.output(), /admin API listening on http:\/\/127\.0\.0\.1:\d+/)
      assert.match(g.output(), /proxy listening/)
      const root = (await (await fetch(`${g.admin}/`)).json()) as {
        configuration: { database: string; switchyard_storage: string }
      }
      // Kong tools see a database-backed node; the storage behind it is embedded Postgres.
      assert.equal(root.configuration.database, 'postgres')
      assert.equal(root.configuration.switchyard_storage, 'pglite')
      await seedScenario(g)
    } finally {
      await g.stop()
    }
    const again = await startGateway({ SWITCHYARD_DATA_DIR: dir })
    try {
      const r = await fetch(`${again.admin}/upstreams/llm.rr/targets`)
      const body = (await r.json()) as { data: { weight: number; backup: boolean }[] }
      assert.equal(body.data.length, 2)
    } finally {
      await again.stop()
    }
  })

  test('on Postgres via DATABASE_URL', async () => {
    const db = await createTestDatabase()
    const g = await startGateway({ DATABASE_URL: db.url })
    try {
      const root = (await (await fetch(`${g.admin}/`)).json()) as {
        configuration: Record<string, unknown> & { database: string; switchyard_storage: string }
      }
      assert.equal(root.configuration.database, 'postgres')
      assert.equal(root.configuration.switchyard_storage, 'postgres')
      // What Kong Manager's overview shows: the real listeners and database settings.
      const proxy = new URL(g.proxy)
      const admin = new URL(g.admin)
      const dbUrl = new URL(db.url)
      assert.deepEqual(root.configuration['admin_listen'], [admin.host])
      assert.deepEqual(
        (root.configuration['proxy_listeners'] as Record<string, unknown>[]).map((l) => [l['ip'], l['port'], l['ssl'], l['listener']]),
        [[proxy.hostname, Number(proxy.port), false, proxy.host]]
      )
      assert.deepEqual(root.configuration['admin_gui_listeners'], [])
      assert.deepEqual(
        [root.configuration['pg_host'], root.configuration['pg_port'], root.configuration['pg_user'], root.configuration['pg_ssl']],
        [dbUrl.hostname, Number(dbUrl.port || 5432), dbUrl.username, false]
      )
      assert.equal(JSON.stringify(root.configuration).includes('password'), false, 'nothing secret')
      await seedScenario(g)
    } finally {
      await g.stop()
      await db.drop()
    }
  })
})

describe('npm start: AI-aware balancing in one process (memory store)', () => {
  test('a 429 cools the target down, the request fails over, and the health view shows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-gw-ai-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const [p0, p1] = await Promise.all([startFakeProvider('p0'), startFakeProvider('p1')])
    const g = await startGateway({ SWITCHYARD_DATA_DIR: dir })
    try {
      let r = await form(`${g.admin}/upstreams`, 'POST', { name: 'llm.pool', 'ai.default_cooldown': '30', slow_start: '0' })
      assert.equal(r.status, 201, JSON.stringify(r.body))
      for (const p of [p0, p1]) assert.equal((await form(`${g.admin}/upstreams/llm.pool/targets`, 'POST', { target: p.address })).status, 201)
      r = await form(`${g.admin}/services`, 'POST', { name: 'pool', host: 'llm.pool' })
      assert.equal((await form(`${g.admin}/services/pool/routes`, 'POST', { 'paths[]': '/pool' })).status, 201)
      p0.script({ status: 429 }, { status: 429 })
      p1.script({ status: 429 }, { status: 429 })
      // Rate limited without a hint: the default cooldown; each request fails over to the other.
      const first = await fetch(`${g.proxy}/pool/v1/chat/completions`, { method: 'POST', body: '{"model":"m"}' })
      assert.equal(first.status, 429)
      assert.equal(first.headers.get('retry-after'), '30')
      assert.deepEqual(await first.json(), { message: 'All upstream targets are rate limited; retry later' })
      const health = (await (await fetch(`${g.admin}/upstreams/llm.pool/health`)).json()) as {
        data: { data: { ai: { cooldown_reason: string | null; cooldown_until: number | null } } }[]
      }
      for (const t of health.data) {
        assert.equal(t.data.ai.cooldown_reason, 'rate_limited')
        assert.ok(t.data.ai.cooldown_until! * 1000 > Date.now() + 25_000)
      }
      assert.equal(p0.requests.length + p1.requests.length, 2)
    } finally {
      await g.stop()
      await Promise.all([p0.close(), p1.close()])
    }
  })
})
