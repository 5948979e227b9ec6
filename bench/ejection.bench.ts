// `npm run bench:ejection`: how many requests clients see fail, and how long it takes, before a
// broken target is out of rotation on every data plane — with passive counters shared through
// Redis (Switchyard) and counted per node (Kong's behaviour), in the same run on 127.0.0.1.
//
// One control plane (Postgres + a private redis-server) and 6 data planes: 3 with REDIS_URL
// (shared counters) and 3 without it (each keeps its own in-memory counters, exactly what Kong
// does; they follow config by polling the control plane, so the bench waits for them to
// converge first). Each case has its own upstream: two healthy targets and one victim, passive
// thresholds N, no retries (so every request that reaches the victim is a failure a client sees).
// An open-loop load of RATE req/s goes round-robin over the case's 3 data planes; after BEFORE_MS
// the victim starts answering 500 (or is killed: connections refused/reset). Reported per case:
// client-visible failures (total and by data plane) and the time from the fault to the last
// failed request, i.e. until every data plane had stopped using the victim; `skipped` counts
// requests not sent because MAX_IN_FLIGHT were outstanding. It only prints.
//
// Env: BENCH_RATE (300 req/s), BENCH_THRESHOLD (5), BENCH_BEFORE_MS (1000), BENCH_AFTER_MS (3000),
// BENCH_MAX_IN_FLIGHT (64).

import {
  DataPlaneProcess,
  TestCluster,
  sleep,
  startUpstream,
  waitFor,
  type UpstreamServer,
} from '@switchyard/test-kit'
import http from 'node:http'
import { join } from 'node:path'
import { startOpenLoop } from './lib/open-loop.ts'

const RATE = Number(process.env['BENCH_RATE'] ?? 300)
const N = Number(process.env['BENCH_THRESHOLD'] ?? 5)
const BEFORE_MS = Number(process.env['BENCH_BEFORE_MS'] ?? 1000)
const AFTER_MS = Number(process.env['BENCH_AFTER_MS'] ?? 3000)
const MAX_IN_FLIGHT = Number(process.env['BENCH_MAX_IN_FLIGHT'] ?? 64)
const WATCHDOG_MS = 180_000

type Mode = 'shared' | 'per-node'
type Fault = '500s' | 'killed'

interface Victim {
  server: UpstreamServer
  failing: boolean
}

interface Case {
  fault: Fault
  mode: Mode
  name: string
  victim: Victim
}

interface Result {
  c: Case
  sent: number
  skipped: number
  warmupFailures: number
  failures: number
  failuresByDp: number[]
  ejectionMs: number | undefined
  otherErrors: number
}

const cluster = new TestCluster('bench-ejection')
const perNode: DataPlaneProcess[] = []
const servers: UpstreamServer[] = []

async function cleanup(): Promise<void> {
  await Promise.all(perNode.map((dp) => dp.kill().catch(() => {})))
  await cluster.cleanup()
  await Promise.all(servers.map((s) => s.close().catch(() => {})))
}

function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(0))
  })
}

async function victimServer(name: string): Promise<Victim> {
  const v: Victim = { server: undefined as unknown as UpstreamServer, failing: false }
  v.server = await startUpstream(name, (_req, res) => {
    res.writeHead(v.failing ? 500 : 200, { 'x-upstream': name })
    res.end(name)
  })
  servers.push(v.server)
  return v
}

/** Open-loop load at RATE req/s round-robin over `dps`, until `stop()`; every answer timestamped. */
function startLoad(dps: DataPlaneProcess[], path: string) {
  const agents = dps.map(() => new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT }))
  const answers: { at: number; dp: number; status: number }[] = []
  const loop = startOpenLoop({
    rate: RATE,
    maxInFlight: MAX_IN_FLIGHT,
    targets: dps.length,
    send: (i) => get(agents[i]!, `${dps[i]!.proxyUrl}${path}`),
    onAnswer: (i, status) => answers.push({ at: performance.now(), dp: i, status }),
  })
  return {
    answers,
    async stop() {
      const counts = await loop.stop()
      for (const a of agents) a.destroy()
      return counts
    },
  }
}

async function runCase(c: Case, dps: DataPlaneProcess[]): Promise<Result> {
  const load = startLoad(dps, `/${c.name}`)
  await sleep(BEFORE_MS)
  const faultAt = performance.now()
  if (c.fault === '500s') c.victim.failing = true
  else await c.victim.server.close()
  await sleep(AFTER_MS)
  const { sent, skipped } = await load.stop()
  const failuresByDp = dps.map(() => 0)
  let warmupFailures = 0
  let failures = 0
  let last: number | undefined
  let otherErrors = 0
  for (const a of load.answers) {
    if (a.status === 200) continue
    if (a.at < faultAt) {
      warmupFailures++
      continue
    }
    // 500 from the victim, or 502 (refused/reset) once it is killed.
    if (a.status === 500 || a.status === 502) {
      failures++
      failuresByDp[a.dp]!++
      last = Math.max(last ?? 0, a.at)
    } else otherErrors++
  }
  return {
    c,
    sent,
    skipped,
    warmupFailures,
    failures,
    failuresByDp,
    ejectionMs: last === undefined ? undefined : last - faultAt,
    otherErrors,
  }
}

const pad = (s: string, w: number, left = false) => (left ? s.padEnd(w) : s.padStart(w))

function printTable(results: Result[]): void {
  const head = ['fault', 'counting', 'failed requests', 'by data plane', 'time to ejection', 'sent', 'skipped', 'other errors']
  const widths = [8, 22, 16, 14, 17, 6, 8, 13]
  const line = (cells: string[]) => cells.map((x, i) => pad(x, widths[i] ?? 8, i < 2)).join('  ')
  console.log(line(head))
  for (const r of results) {
    console.log(
      line([
        r.c.fault,
        r.c.mode === 'shared' ? 'shared (Redis)' : 'per node (Kong-like)',
        String(r.failures),
        r.failuresByDp.join('/'),
        r.ejectionMs === undefined ? '-' : `${Math.round(r.ejectionMs)} ms`,
        String(r.sent),
        String(r.skipped),
        String(r.otherErrors + r.warmupFailures),
      ])
    )
  }
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: exceeded ${WATCHDOG_MS / 1000} s, stopping`)
    void cleanup().finally(() => process.exit(1))
  }, WATCHDOG_MS)
  watchdog.unref()
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)))

  console.log(
    `3 data planes per mode, ${RATE} req/s round-robin across them (open loop, at most ${MAX_IN_FLIGHT} in flight), ` +
      `passive thresholds ${N}, retries 0; fault after ${BEFORE_MS} ms, measured for ${AFTER_MS} ms`
  )
  const healthy = await Promise.all(['ok-1', 'ok-2'].map((n) => startUpstream(n)))
  servers.push(...healthy)

  await cluster.start(3)
  const shared = cluster.dataPlanes.slice(0, 3)
  for (let i = 1; i <= 3; i++) {
    // REDIS_URL left empty: the data plane keeps health in memory, node-local, as Kong does.
    perNode.push(
      await DataPlaneProcess.start({
        name: `bench-ejection/local${i}`,
        controlPlane: cluster.control.clusterAddress,
        redisUrl: '',
        token: cluster.token,
        cacheFile: join(cluster.dir, `local${i}`, 'config-cache.json'),
      })
    )
  }
  for (const dp of perNode) {
    const s = await dp.status()
    if (s.redis.connected) throw new Error(`${dp.name} is on Redis; per-node counting needs it without`)
  }

  const cases: Case[] = []
  for (const fault of ['500s', 'killed'] as const) {
    for (const mode of ['shared', 'per-node'] as const) {
      const name = `eject-${fault === '500s' ? 'http' : 'kill'}-${mode}`
      cases.push({ fault, mode, name, victim: await victimServer(`${name}-victim`) })
    }
  }
  const admin = cluster.admin
  for (const c of cases) {
    await admin.ok('POST', '/upstreams', {
      name: `${c.name}.bench`,
      healthchecks: { passive: { unhealthy: { http_failures: N, tcp_failures: N, timeouts: N } } },
    })
    for (const s of [...healthy, c.victim.server]) {
      await admin.ok('POST', `/upstreams/${c.name}.bench/targets`, { target: s.address })
    }
    const svc = await admin.ok<{ id: string }>('POST', '/services', { name: c.name, host: `${c.name}.bench`, retries: 0 })
    await admin.ok('POST', `/services/${svc.id}/routes`, { paths: [`/${c.name}`] })
  }
  // The shared data planes follow Redis notices; the others poll every 2 s.
  await cluster.waitForConvergence(15_000, [...shared, ...perNode])
  await waitFor('every route to answer 200 on every data plane', async () => {
    const agent = new http.Agent()
    try {
      for (const c of cases) {
        for (const dp of c.mode === 'shared' ? shared : perNode) {
          if ((await get(agent, `${dp.proxyUrl}/${c.name}`)) !== 200) return false
        }
      }
      return true
    } finally {
      agent.destroy()
    }
  }, 10_000)

  const results: Result[] = []
  for (const c of cases) results.push(await runCase(c, c.mode === 'shared' ? shared : perNode))

  console.log('')
  printTable(results)
  console.log('')
  for (const fault of ['500s', 'killed'] as const) {
    const s = results.find((r) => r.c.fault === fault && r.c.mode === 'shared')!
    const p = results.find((r) => r.c.fault === fault && r.c.mode === 'per-node')!
    const ratio = (a: number | undefined, b: number | undefined) =>
      a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(1)}×` : '-'
    console.log(
      `${fault}: per-node counting let ${p.failures} requests fail vs ${s.failures} shared (${ratio(p.failures, s.failures)}); ` +
        `ejected everywhere after ${p.ejectionMs === undefined ? '-' : Math.round(p.ejectionMs)} ms vs ` +
        `${s.ejectionMs === undefined ? '-' : Math.round(s.ejectionMs)} ms (${ratio(p.ejectionMs, s.ejectionMs)})`
    )
  }
  console.log(`threshold ${N}: shared counting is bounded by N + requests in flight; per node by 3 × (N + in flight)`)
}

main()
  .then(cleanup, async (err: unknown) => {
    console.error(err)
    await cleanup()
    process.exitCode = 1
  })
  .finally(() => process.exit())
