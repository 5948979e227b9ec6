// AI-aware balancing through a real proxy: fake OpenAI-style providers on port 0, the AI runtime
// on the in-memory store (standalone mode), real HTTP clients. Covers every provider signal
// form, failover (POST and SSE), exhaustion, budgets, lowest-usage, de-weighting and slow start.
// The cluster-wide behaviour (Redis, 3 data planes) is in test/ai/.

import { budgetWindow } from '@switchyard/ai'
import { MemoryAiStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import { startFakeProvider, type FakeProvider, type FakeProviderOptions } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { AiRuntime, type AiEvents } from './ai-runtime.js'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

const cleanups: (() => Promise<void> | void)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Setup {
  proxy: TestProxy
  ai: AiRuntime
  providers: FakeProvider[]
  upstreamId: string
  events: { kind: string; args: unknown[] }[]
  /** The proxy's view of one provider's target. */
  peer(i: number): { share: number; usage: number; available: boolean }
  post(body?: Record<string, unknown>): Promise<{ status: number; headers: Headers; text: string; from: string | null }>
}

async function setup(
  upstreamInput: Record<string, unknown>,
  providers: { opts?: FakeProviderOptions; target?: Record<string, unknown> }[],
  service: Record<string, unknown> = {}
): Promise<Setup> {
  const started = await Promise.all(providers.map((p, i) => startFakeProvider(`p${i}`, p.opts)))
  for (const p of started) cleanups.push(() => p.close())
  const u = fx.upstream({ name: 'llm.test', ...upstreamInput })
  const ts = started.map((p, i) => fx.target(u, { target: p.address, ...providers[i]!.target }))
  const s = fx.service({ host: 'llm.test', port: 80, ...service })
  const r = fx.route(s, { paths: ['/v1'], strip_path: false })
  const events: Setup['events'] = []
  const record = (kind: string) => (...args: unknown[]) => void events.push({ kind, args })
  const sink: AiEvents = { cooldown: record('cooldown'), failover: record('failover'), exhausted: record('exhausted'), tokens: record('tokens') }
  let ai: AiRuntime | undefined
  const proxy = await startTestProxy(snapshotOf({ upstreams: [u], targets: ts, services: [s], routes: [r] }), (state) => {
    ai = new AiRuntime({ state, store: new MemoryAiStore(), log: createLogger({ level: 'silent' }), events: sink, tickMs: 20 })
    return { ai }
  })
  cleanups.push(() => proxy.close())
  await ai!.start()
  cleanups.push(() => ai!.stop())
  const upstreamId = String(u['id'])
  const balanced = proxy.state.upstreamById(upstreamId)!
  return {
    proxy,
    ai: ai!,
    providers: started,
    upstreamId,
    events,
    peer: (i) => balanced.balancer.peer(started[i]!.address)!,
    post: async (body = { model: 'm', messages: [] }) => {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return { status: res.status, headers: res.headers, text: await res.text(), from: res.headers.get('x-upstream') }
    },
  }
}

/** Sequential requests: who answered them. */
async function spread(s: Setup, n: number, body?: Record<string, unknown>): Promise<Record<string, number>> {
  const seen: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const r = await s.post(body)
    const key = r.status === 200 ? (r.from ?? '?') : `status ${r.status}`
    seen[key] = (seen[key] ?? 0) + 1
  }
  return seen
}

test('a 429 with Retry-After fails over at once, skips the target for the wait, then it comes back', async () => {
  const s = await setup({}, [{}, {}])
  s.providers[0]!.script({ status: 429, headers: { 'retry-after': '3' }, body: '{"error":{"code":"rate_limit_exceeded"}}' })
  // Round-robin starts at p0: its 429 must not reach the client.
  const first = await s.post({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(first.status, 200)
  assert.equal(first.from, 'p1')
  // The POST body reached the second target unchanged.
  assert.equal(s.providers[1]!.requests[0]!.body, s.providers[0]!.requests[0]!.body)
  const cooled = Date.now()
  const during = await spread(s, 10)
  assert.deepEqual(during, { p1: 10 })
  assert.equal(s.providers[0]!.requests.length, 1)
  assert.equal(s.peer(0).share, 0)
  assert.ok(Date.now() - cooled < 3000, 'the requests during the cooldown took too long to mean anything')
  await sleep(Math.max(0, cooled + 3100 - Date.now()))
  const afterwards = await spread(s, 10)
  assert.deepEqual(afterwards, { p0: 5, p1: 5 })
  assert.deepEqual(
    s.events.filter((e) => e.kind !== 'tokens').map((e) => [e.kind, ...e.args]),
    [
      ['cooldown', 'llm.test', s.providers[0]!.address, 'rate_limited'],
      ['failover', 'llm.test', 'rate_limited'],
    ]
  )
})

test('each provider form sets the cooldown it names; malformed values fall back to the default', async () => {
  const inFour = new Date(Date.now() + 4000).toISOString()
  const gemini = JSON.stringify({
    error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '5s' }] },
  })
  const cases: { name: string; status: number; headers?: Record<string, string>; body?: string; ms: number | undefined; reason?: string }[] = [
    { name: 'Retry-After seconds', status: 429, headers: { 'retry-after': '2' }, ms: 2000 },
    { name: 'Retry-After HTTP-date', status: 429, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() }, ms: 3000 },
    { name: 'Azure retry-after-ms', status: 429, headers: { 'retry-after-ms': '1500' }, ms: 1500 },
    {
      name: 'OpenAI used-up tokens window',
      status: 429,
      headers: { 'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '3s' },
      ms: 3000,
    },
    {
      name: 'Anthropic RFC 3339 reset',
      status: 429,
      headers: { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': inFour },
      ms: 4000,
    },
    { name: 'Gemini retryDelay in the body', status: 429, body: gemini, ms: 5000 },
    { name: '503 with a hint', status: 503, headers: { 'retry-after': '2' }, ms: 2000, reason: 'overloaded' },
    { name: '529 overloaded without a hint: default', status: 529, ms: 700, reason: 'overloaded' },
    { name: 'no hint: the upstream default', status: 429, ms: 700 },
    { name: 'malformed Retry-After: the default', status: 429, headers: { 'retry-after': 'soon', 'x-ratelimit-reset-requests': 'later' }, ms: 700 },
    { name: 'malformed JSON body: the default', status: 429, body: '{"error": [unterminated', ms: 700 },
    { name: 'capped by max_cooldown', status: 429, headers: { 'retry-after': '3600' }, ms: 10_000 },
    {
      name: 'a success reporting a used-up window cools down pre-emptively',
      status: 200,
      headers: { 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' },
      body: '{"usage":{"total_tokens":1}}',
      ms: 2000,
      reason: 'depleted',
    },
    { name: 'a bare 503 is no rate-limit signal', status: 503, ms: undefined },
  ]
  for (const c of cases) {
    const s = await setup({ ai: { default_cooldown: 0.7, max_cooldown: 10 } }, [{}, {}])
    s.providers[0]!.script({ status: c.status, ...(c.headers ? { headers: c.headers } : {}), ...(c.body !== undefined ? { body: c.body } : {}) })
    const before = Date.now()
    const r = await s.post()
    // Failover for limits, the answer itself for a success; never an error of ours.
    assert.equal(r.status, 200, c.name)
    const view = s.ai.describe(s.upstreamId, s.providers[0]!.address)
    if (c.ms === undefined) {
      assert.equal(view?.coolUntil, undefined, c.name)
      continue
    }
    assert.ok(view?.coolUntil !== undefined, `${c.name}: no cooldown`)
    const ms = view.coolUntil - before
    assert.ok(Math.abs(ms - c.ms) < 1100, `${c.name}: cooldown ${ms} ms, expected ${c.ms}`)
    assert.equal(view.reason, c.reason ?? 'rate_limited', c.name)
  }
})

test('every target cooling down: 429 with Retry-After of the soonest recovery, Kong-style body', async () => {
  const s = await setup({}, [{}, {}])
  s.providers[0]!.script({ status: 429, headers: { 'retry-after': '3' } })
  s.providers[1]!.script({ status: 429, headers: { 'retry-after': '7' } })
  const r = await s.post()
  assert.equal(r.status, 429)
  assert.equal(r.headers.get('retry-after'), '3')
  assert.deepEqual(JSON.parse(r.text), { message: 'All upstream targets are rate limited; retry later' })
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
  // Later requests do not reach either provider.
  assert.equal((await s.post()).status, 429)
  assert.equal(s.providers[0]!.requests.length + s.providers[1]!.requests.length, 2)
  assert.ok(s.events.some((e) => e.kind === 'exhausted'))
})

test('with signals off a 429 reaches the client as Kong would pass it, and nothing cools down', async () => {
  const s = await setup({ ai: { signals: false } }, [{}, {}])
  s.providers[0]!.script({ status: 429, headers: { 'retry-after': '30' }, body: '{"error":"slow down"}' })
  const r = await s.post()
  assert.equal(r.status, 429)
  assert.equal(r.text, '{"error":"slow down"}')
  assert.equal(s.ai.describe(s.upstreamId, s.providers[0]!.address)?.coolUntil, undefined)
  assert.deepEqual(await spread(s, 4), { p0: 2, p1: 2 })
})

test('malformed signals and usage never break the response to the client', async () => {
  const s = await setup({ algorithm: 'lowest-usage' }, [{ target: { tpm: 100000 } }])
  const cases: { headers: Record<string, string>; body: string }[] = [
    { headers: { 'x-ratelimit-remaining-tokens': 'NaN', 'x-ratelimit-limit-tokens': '-4', 'x-ratelimit-reset-tokens': 'forever' }, body: '{"usage": "lots"}' },
    { headers: { 'anthropic-ratelimit-tokens-remaining': '1e999', 'anthropic-ratelimit-tokens-reset': 'yesterday' }, body: 'not json at all' },
    { headers: { 'content-type': 'text/event-stream' }, body: 'data: {"usage":{"total_tokens":-5}}\n\ndata: [DONE' },
  ]
  for (const c of cases) {
    s.providers[0]!.script({ status: 200, headers: c.headers, body: c.body })
    const r = await s.post()
    assert.equal(r.status, 200)
    assert.equal(r.text, c.body)
  }
})

test('SSE: a stream that dies before its first byte fails over; one that has started is never retried', async () => {
  const s = await setup({}, [{ opts: { streamEvents: 3 } }, { opts: { streamEvents: 3 } }])
  s.providers[0]!.script({ dieBeforeFirstByte: true })
  const r = await s.post({ model: 'm', stream: true })
  assert.equal(r.status, 200)
  assert.equal(r.from, 'p1')
  assert.match(r.text, /p1-1[\s\S]*p1-3[\s\S]*"usage"[\s\S]*\[DONE\]/)
  assert.ok(s.events.some((e) => e.kind === 'failover' && e.args[1] === 'stream_error'))

  // A stream cut after its first event: the client sees the cut, the request is not sent again.
  const cut = await setup({}, [{}, {}])
  const server = cut.providers[0]!
  server.script({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'data: {"partial":1}\n\n' })
  const before = cut.providers[1]!.requests.length
  const res = await cut.post({ model: 'm', stream: true })
  assert.equal(res.text, 'data: {"partial":1}\n\n')
  assert.equal(cut.providers[1]!.requests.length, before)
})

/** Waits until the current budget window has at least `ms` left, so a test stays in one window. */
async function inOneWindow(ms: number): Promise<void> {
  const left = budgetWindow(Date.now()).end - Date.now()
  if (left < ms) await sleep(left + 50)
}

test('tpm budget: a target serves exactly its tokens per window, then the others take over', async () => {
  await inOneWindow(8000)
  const s = await setup({ ai: { token_reservation: 100 } }, [{ opts: { tokens: 100 }, target: { tpm: 1000 } }, { opts: { tokens: 100 } }])
  const seen = await spread(s, 30)
  assert.deepEqual(seen, { p0: 10, p1: 20 })
  assert.equal(s.providers[0]!.requests.length, 10)
  const view = s.ai.describe(s.upstreamId, s.providers[0]!.address)
  assert.equal(view?.reason, 'budget')
  assert.equal(view?.coolUntil, budgetWindow(Date.now()).end)
})

test('budget exhaustion of every target: 429 until the window rolls; max_tokens sizes reservations', async () => {
  await inOneWindow(8000)
  const s = await setup({}, [{ opts: { tokens: 50 }, target: { rpm: 3 } }, { opts: { tokens: 50 }, target: { tpm: 200 } }])
  const seen = await spread(s, 10, { model: 'm', max_tokens: 50 })
  // rpm 3 on p0; p1: 50-token reservations against 200 → 4.
  assert.deepEqual(seen, { p0: 3, p1: 4, 'status 429': 3 })
  const r = await s.post()
  const wait = Number(r.headers.get('retry-after'))
  const expected = Math.ceil((budgetWindow(Date.now()).end - Date.now()) / 1000)
  assert.ok(Math.abs(wait - expected) <= 1, `Retry-After ${wait}, window ends in ${expected}`)
})

test('lowest-usage sends each request where the fewest tokens were used per unit of weight', async () => {
  const s = await setup({ algorithm: 'lowest-usage', ai: { token_reservation: 100 } }, [{ opts: { tokens: 300 } }, { opts: { tokens: 100 } }])
  const seen: Record<string, number> = {}
  for (let i = 0; i < 60; i++) {
    const r = await s.post()
    seen[r.from ?? '?'] = (seen[r.from ?? '?'] ?? 0) + 1
    // Leave the usage poll time to read the settled counts now and then.
    if (i % 10 === 9) await sleep(300)
  }
  // Equal tokens means three 100-token answers for every 300-token one.
  const share = (seen['p1'] ?? 0) / 60
  assert.ok(share > 0.65 && share < 0.85, `p1 share ${share} (${JSON.stringify(seen)})`)
})

test('de-weighting: remaining share lowers a target\'s weight until its window resets', async () => {
  const s = await setup({}, [{}, {}])
  s.providers[0]!.script({
    status: 200,
    headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-reset-requests': '4s' },
    body: '{}',
  })
  await s.post()
  const seenAt = Date.now()
  assert.ok(Math.abs(s.peer(0).share - 0.1) < 1e-9, `share ${s.peer(0).share}`)
  const seen = await spread(s, 44)
  // Weight 100 × 0.1 against 100: about 1 in 11.
  assert.ok((seen['p0'] ?? 0) >= 2 && (seen['p0'] ?? 0) <= 6, JSON.stringify(seen))
  assert.ok(Date.now() - seenAt < 4000, 'the requests took longer than the window')
  await sleep(Math.max(0, seenAt + 4100 - Date.now()))
  assert.equal(s.peer(0).share, 1)
})

test('slow start: a target back from unhealthy ramps its share linearly', async () => {
  const s = await setup({ slow_start: 2 }, [{}, {}])
  const balancer = s.proxy.state.upstreamById(s.upstreamId)!.balancer
  const target = s.providers[0]!.address
  balancer.setHealth(target, false)
  await sleep(100)
  balancer.setHealth(target, true)
  const back = Date.now()
  for (const at of [500, 1000, 1500]) {
    await sleep(Math.max(0, back + at - Date.now()))
    const expected = (Date.now() - back) / 2000
    assert.ok(Math.abs(s.peer(0).share - expected) < 0.1, `at ${at} ms share ${s.peer(0).share}, expected ~${expected}`)
  }
  await sleep(Math.max(0, back + 2100 - Date.now()))
  assert.equal(s.peer(0).share, 1)
  assert.deepEqual(await spread(s, 10), { p0: 5, p1: 5 })
})

test('slow start after a cooldown', async () => {
  const s = await setup({ slow_start: 1 }, [{}, {}])
  s.providers[0]!.script({ status: 429, headers: { 'retry-after': '0.3' } })
  await s.post()
  assert.equal(s.peer(0).share, 0)
  await sleep(600)
  const share = s.peer(0).share
  assert.ok(share > 0 && share < 0.6, `share ${share} 300 ms into a 1 s ramp`)
})
