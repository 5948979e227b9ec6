// End to end, real processes: a control plane, 3 data planes, a private Redis and fake
// OpenAI-style providers on loopback. Provider rate-limit signals become cluster-wide
// cooldowns within 100 ms, budgets hold across nodes, and the state survives a data-plane
// restart and shows in the Admin API's health view and in Prometheus.

import { budgetWindow } from '@switchyard/ai'
import { TestCluster, runBounded, sleep, startFakeProvider, waitFor, type FakeProvider } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'

const cluster = new TestCluster('ai')
const providers: FakeProvider[] = []
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/** One chat completion through a data plane: status, answering provider, Retry-After. */
function post(base: string, path: string, body: Record<string, unknown>): Promise<{ status: number; from: string | undefined; retryAfter: string | undefined }> {
  const payload = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: 'POST', agent, timeout: 5000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, from: res.headers['x-upstream'] as string | undefined, retryAfter: res.headers['retry-after'] as string | undefined })
        )
        res.on('error', reject)
      }
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(payload)
  })
}

async function upstreamWith(name: string, targets: { provider: FakeProvider; extra?: Record<string, unknown> }[], path: string, upstream: Record<string, unknown> = {}) {
  const admin = cluster.admin
  const u = await admin.ok<{ id: string }>('POST', '/upstreams', { name, ...upstream })
  for (const t of targets) await admin.ok('POST', `/upstreams/${name}/targets`, { target: t.provider.address, ...t.extra })
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name: `${name}-svc`, host: name })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: [path] })
  await cluster.waitForConvergence(10_000)
  return u.id
}

before(async () => {
  for (let i = 0; i < 6; i++) providers.push(await startFakeProvider(`p${i}`, { tokens: 100 }))
  await cluster.start(3)
  await cluster.admin.ok('POST', '/plugins', { name: 'prometheus' })
})

after(async () => {
  agent.destroy()
  await cluster.cleanup()
  await Promise.all(providers.map((p) => p.close()))
})

test('one 429 with Retry-After: 2 takes the target out on every data plane within 100 ms, until 2 s after it', { timeout: 60_000 }, async () => {
  const [a, b, c] = providers as [FakeProvider, FakeProvider, FakeProvider]
  await upstreamWith('cool.test', [{ provider: a }, { provider: b }, { provider: c }], '/cool')
  const dps = cluster.dataPlanes
  const statuses: number[] = []
  let stop = false
  // Three clients, one per data plane, sending back to back.
  const load = dps.map(async (dp) => {
    while (!stop) statuses.push((await post(dp.proxyUrl, '/cool/v1/chat/completions', { model: 'm' })).status)
  })
  await sleep(300)
  a.script({ status: 429, headers: { 'retry-after': '2' }, body: '{"error":{"code":"rate_limit_exceeded"}}' })
  const scriptedAt = a.requests.length
  await waitFor('the 429 to be sent', () => a.requests.length > scriptedAt, 5000)
  const t429 = a.requests[scriptedAt]!.at
  await sleep(Math.max(0, t429 + 3000 - Date.now()))
  stop = true
  await Promise.all(load)
  const quiet = a.requests.filter((r) => r.at > t429 + 100 && r.at < t429 + 2000)
  assert.equal(quiet.length, 0, `the cooling target got ${quiet.length} requests between 100 ms and 2 s after its 429`)
  const back = a.requests.filter((r) => r.at >= t429 + 2000)
  assert.ok(back.length > 0, 'traffic came back to the target after its cooldown')
  assert.ok(statuses.length > 100, `load ran (${statuses.length} requests)`)
  assert.deepEqual([...new Set(statuses)], [200], 'every client request was answered by another target')
  // Requests the others served meanwhile: the load kept going at full strength.
  assert.ok(b.requests.some((r) => r.at > t429 + 100 && r.at < t429 + 2000))
  assert.ok(c.requests.some((r) => r.at > t429 + 100 && r.at < t429 + 2000))
})

test('tpm=1000 with 100-token answers across 3 data planes: the target serves 10 requests in its window', { timeout: 60_000 }, async () => {
  const left = budgetWindow(Date.now()).end - Date.now()
  if (left < 15_000) await sleep(left + 100)
  const [, , , d, e] = providers as FakeProvider[]
  await upstreamWith('budget.test', [{ provider: d!, extra: { tpm: 1000 } }, { provider: e! }], '/budget')
  const dps = cluster.dataPlanes
  const before = d!.requests.length
  const statuses: number[] = []
  await runBounded(90, 9, async (i) => {
    statuses.push((await post(dps[i % 3]!.proxyUrl, '/budget/v1/chat/completions', { model: 'm', max_tokens: 100 })).status)
  })
  assert.deepEqual([...new Set(statuses)], [200])
  // Reservations are atomic and every answer settles exactly its estimate: no overshoot at all.
  assert.equal(d!.requests.length - before, 10)
  const health = await cluster.admin.ok<{ data: { target: string; data: { ai: Record<string, unknown> } }[] }>('GET', '/upstreams/budget.test/health')
  const row = health.data.find((t) => t.target === d!.address)!
  assert.equal(row.data.ai['cooldown_reason'], 'budget')
  assert.deepEqual(
    { ...(row.data.ai['budget'] as Record<string, unknown>), window_start: 0, window_end: 0 },
    { window_start: 0, window_end: 0, rpm: null, tpm: 1000, requests: 10, tokens: 1000, reserved: 0 }
  )
})

test('a cooldown survives a data-plane restart and shows in the health view and metrics', { timeout: 60_000 }, async () => {
  const f = providers[5]!
  const g = providers[1]!
  await upstreamWith('restart.test', [{ provider: f }, { provider: g }], '/restart')
  const dp = cluster.dataPlanes[0]!
  f.script({ status: 429, headers: { 'retry-after': '8' } })
  // Round-robin reaches f within two requests; the 429 fails over to g.
  for (let i = 0; i < 2; i++) assert.equal((await post(dp.proxyUrl, '/restart/v1/chat/completions', { model: 'm' })).status, 200)
  const cooled = f.requests.length
  const metrics = await (await fetch(`${dp.statusUrl}/metrics`)).text()
  assert.match(metrics, new RegExp(`switchyard_ai_cooldowns_total\\{upstream="restart.test",target="${f.address}",reason="rate_limited"\\} 1`))
  assert.match(metrics, /switchyard_ai_failovers_total\{upstream="restart.test",reason="rate_limited"\} 1/)

  await dp.kill()
  const fresh = await cluster.restartDataPlane(dp)
  for (let i = 0; i < 10; i++) {
    const r = await post(fresh.proxyUrl, '/restart/v1/chat/completions', { model: 'm' })
    assert.equal(r.status, 200)
    assert.equal(r.from, 'p1')
  }
  assert.equal(f.requests.length, cooled, 'the restarted data plane kept the cooldown')
  const health = await cluster.admin.ok<{ data: { target: string; data: { ai: Record<string, unknown> } }[] }>('GET', '/upstreams/restart.test/health')
  const ai = health.data.find((t) => t.target === f.address)!.data.ai
  assert.equal(ai['cooldown_reason'], 'rate_limited')
  assert.ok(Number(ai['cooldown_until']) * 1000 > Date.now())

  // Every target cooling: the client is told when to come back.
  g.script({ status: 429, headers: { 'retry-after': '5' } })
  const exhausted = await post(fresh.proxyUrl, '/restart/v1/chat/completions', { model: 'm' })
  assert.equal(exhausted.status, 429)
  assert.ok(Number(exhausted.retryAfter) >= 1 && Number(exhausted.retryAfter) <= 8, `Retry-After ${exhausted.retryAfter}`)
})
