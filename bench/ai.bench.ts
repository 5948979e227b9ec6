// `npm run bench:ai`: a fleet of rate-limited LLM endpoints under more demand than it can take,
// balanced by 3 data planes — with provider signals on (Switchyard) and off (Kong's behaviour),
// in the same run on 127.0.0.1.
//
// 4 fake OpenAI-style providers per case each enforce their own limits per window (requests and
// tokens, 100-token answers) with 429 + Retry-After + x-ratelimit-* headers, as OpenAI does.
// An open-loop load at DEMAND × the fleet's capacity goes round-robin over the 3 data planes for
// DURATION. Printed per case: goodput (2xx/s) as a share of the fleet's capacity, 429s the
// providers sent (and the most any one target sent in one of its windows), 429s the clients saw
// (from a provider, or ours when the whole fleet was cooling), and p50/p99 latency of 2xx.
// Nothing is asserted: it only prints.
//
// Env: BENCH_AI_DURATION_MS (60000), BENCH_AI_WINDOW_MS (10000), BENCH_AI_LIMIT (50 requests per
// window per provider), BENCH_AI_DEMAND (1.5).

import { TestCluster, sleep, startFakeProvider, type FakeProvider } from '@switchyard/test-kit'
import http from 'node:http'
import { startOpenLoop } from './lib/open-loop.ts'

const DURATION_MS = Number(process.env['BENCH_AI_DURATION_MS'] ?? 60_000)
const WINDOW_MS = Number(process.env['BENCH_AI_WINDOW_MS'] ?? 10_000)
const LIMIT = Number(process.env['BENCH_AI_LIMIT'] ?? 50)
const DEMAND = Number(process.env['BENCH_AI_DEMAND'] ?? 1.5)
const TOKENS = 100
const PROVIDERS = 4
const MAX_IN_FLIGHT = 256
const WATCHDOG_MS = 2 * DURATION_MS + 120_000

const CAPACITY = (PROVIDERS * LIMIT * 1000) / WINDOW_MS
const RATE = CAPACITY * DEMAND

interface Answer {
  at: number
  status: number
  ms: number
  fromProvider: boolean
}

const cluster = new TestCluster('bench-ai')
const providers: FakeProvider[] = []

function post(agent: http.Agent, url: string): Promise<Omit<Answer, 'at'>> {
  const body = JSON.stringify({ model: 'm', max_tokens: TOKENS, messages: [{ role: 'user', content: 'hi' }] })
  const t0 = performance.now()
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', agent, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, fromProvider: res.headers['x-upstream'] !== undefined }))
        res.on('error', () => resolve({ status: 0, ms: 0, fromProvider: false }))
      }
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, ms: 0, fromProvider: false }))
    req.end(body)
  })
}

/** Open-loop load at RATE req/s round-robin over the data planes, for DURATION_MS. */
async function load(path: string): Promise<{ answers: Answer[]; skipped: number }> {
  const dps = cluster.dataPlanes
  const agents = dps.map(() => new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }))
  const answers: Answer[] = []
  const loop = startOpenLoop({
    rate: RATE,
    maxInFlight: MAX_IN_FLIGHT,
    targets: dps.length,
    tickMs: 2,
    send: (i) => post(agents[i]!, `${dps[i]!.proxyUrl}${path}`),
    onAnswer: (_i, a) => answers.push({ at: Date.now(), ...a }),
  })
  await new Promise((r) => setTimeout(r, DURATION_MS))
  const { skipped } = await loop.stop()
  for (const a of agents) a.destroy()
  return { answers, skipped }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

interface CaseResult {
  name: string
  goodput: number
  providerLimited: number
  worstPerWindow: number
  clientFromProvider: number
  clientExhausted: number
  exhaustedWhileCapacity: number
  p50: number
  p99: number
  skipped: number
}

async function runCase(name: string, signals: boolean): Promise<CaseResult> {
  const fleet: FakeProvider[] = []
  for (let i = 0; i < PROVIDERS; i++) {
    fleet.push(await startFakeProvider(`${name}-${i}`, { tokens: TOKENS, rpm: LIMIT, tpm: LIMIT * TOKENS, windowMs: WINDOW_MS }))
  }
  providers.push(...fleet)
  const admin = cluster.admin
  await admin.ok('POST', '/upstreams', { name: `${name}.fleet`, ai: { signals } })
  for (const p of fleet) await admin.ok('POST', `/upstreams/${name}.fleet/targets`, { target: p.address })
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name, host: `${name}.fleet` })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: [`/${name}`] })
  await cluster.waitForConvergence(10_000)
  // Start on a window boundary so every window of the run is a whole one.
  await sleep(WINDOW_MS - (Date.now() % WINDOW_MS))
  const start = Date.now()
  const { answers, skipped } = await load(`/${name}/v1/chat/completions`)
  const seconds = (Date.now() - start) / 1000
  const ok = answers.filter((a) => a.status === 200)
  const latencies = ok.map((a) => a.ms).sort((x, y) => x - y)
  // Provider-side 429s per target and window: "at most one per target per cooldown".
  let worst = 0
  let limited = 0
  for (const p of fleet) {
    limited += p.counts.limited
    const perWindow = new Map<number, number>()
    // A provider's request log holds refused ones too; a refused request is one beyond its limit.
    const byWindow = new Map<number, number>()
    for (const r of p.requests) byWindow.set(Math.floor(r.at / WINDOW_MS), (byWindow.get(Math.floor(r.at / WINDOW_MS)) ?? 0) + 1)
    for (const [w, n] of byWindow) perWindow.set(w, Math.max(0, n - LIMIT))
    for (const n of perWindow.values()) worst = Math.max(worst, n)
  }
  // Our own 429s are legitimate only while the whole fleet had used its window: count those
  // that came before the fleet's capacity for that window was spent.
  const servedInWindow = new Map<number, number>()
  let exhaustedWhileCapacity = 0
  for (const a of [...answers].sort((x, y) => x.at - y.at)) {
    const w = Math.floor(a.at / WINDOW_MS)
    if (a.status === 200) servedInWindow.set(w, (servedInWindow.get(w) ?? 0) + 1)
    if (a.status === 429 && !a.fromProvider && (servedInWindow.get(w) ?? 0) < PROVIDERS * LIMIT * 0.95) exhaustedWhileCapacity++
  }
  return {
    name: `${name} (signals ${signals ? 'on' : 'off'})`,
    goodput: ok.length / seconds / CAPACITY,
    providerLimited: limited,
    worstPerWindow: worst,
    clientFromProvider: answers.filter((a) => a.status === 429 && a.fromProvider).length,
    clientExhausted: answers.filter((a) => a.status === 429 && !a.fromProvider).length,
    exhaustedWhileCapacity,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    skipped,
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: exceeded ${WATCHDOG_MS / 1000} s, stopping`)
    void cleanup().finally(() => process.exit(1))
  }, WATCHDOG_MS)
  watchdog.unref()
  console.log(
    `fleet: ${PROVIDERS} providers × ${LIMIT} requests (${LIMIT * TOKENS} tokens) per ${WINDOW_MS / 1000} s = ${CAPACITY.toFixed(1)} req/s; ` +
      `demand ${RATE.toFixed(1)} req/s (${Math.round(DEMAND * 100)} %) over 3 data planes for ${DURATION_MS / 1000} s`
  )
  await cluster.start(3)
  const results: CaseResult[] = []
  results.push(await runCase('switchyard', true))
  results.push(await runCase('kong', false))
  const head = ['case', 'goodput/capacity', 'provider 429s', 'worst per target-window', 'client 429s (provider)', 'client 429s (fleet exhausted)', 'of those early', 'p50 ms', 'p99 ms']
  console.log(head.join(' | '))
  for (const r of results) {
    console.log(
      [
        r.name,
        `${(r.goodput * 100).toFixed(1)} %`,
        r.providerLimited,
        r.worstPerWindow,
        r.clientFromProvider,
        r.clientExhausted,
        r.exhaustedWhileCapacity,
        r.p50.toFixed(1),
        r.p99.toFixed(1),
      ].join(' | ') + (r.skipped > 0 ? ` (skipped ${r.skipped})` : '')
    )
  }
  const [on, off] = results as [CaseResult, CaseResult]
  console.log(`provider 429s: signals on ${on.providerLimited} vs off ${off.providerLimited}; goodput ratio on/off ${(on.goodput / off.goodput).toFixed(2)}`)
  clearTimeout(watchdog)
}

async function cleanup(): Promise<void> {
  await cluster.cleanup()
  await Promise.all(providers.map((p) => p.close().catch(() => {})))
}

main()
  .then(cleanup, async (err: unknown) => {
    console.error(err)
    await cleanup()
    process.exitCode = 1
  })
  .finally(() => process.exit(process.exitCode ?? 0))
