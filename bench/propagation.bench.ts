// `npm run bench:propagation`: how long an Admin API write takes to reach every data plane.
// Starts a fresh Postgres database (switchyard_bench_<random>, dropped at the end), a control
// plane and 3 data planes on free loopback ports (the same processes as `npm run cluster`), then
// makes 500 writes one after another — 4 of 5 change a target's weight (PATCH), 1 of 5 adds a
// target (POST) — and measures, per write, the time from the Admin API's 2xx to the moment all
// data planes report a config_version at least that write's version.
//
// Measurement: each data plane's GET /status is polled back-to-back on its own keep-alive
// connection for the whole run, BENCH_PROPAGATION_POLL_GAP_MS apart (1 ms: back-to-back polling
// of 3 nodes takes a good part of a 2-core machine from the processes being measured). A data plane applied a version after the previous poll was sent
// (that poll still saw the older version) and before the response of the poll that shows it
// arrived; the latter includes the data plane hashing the new config for that first /status
// answer. The reported latency is the upper bound (response arrival, slowest data plane); the
// lower bound (previous poll's send) is printed beside it, so the measurement error is visible.
// A data plane that showed the version before the 2xx arrived counts as 0 ms.
//
// Writes are sequential and each has exactly one version (checked during warm-up and at the
// end), so write k of the run is version v0 + k. Only prints: no pass/fail on the numbers.
//
// Then the fifty-followers phase (bench/lib/fleet.ts): 10,000 targets, in-process followers up
// to 50 in all, everyone to a snapshot at once, a burst of 1,000 writes.
//
// Env: BENCH_PROPAGATION_WRITES (500), BENCH_PROPAGATION_DATA_PLANES (3), BENCH_PROPAGATION_POLL_GAP_MS (1),
// BENCH_PROPAGATION_FOLLOWERS (50; 0 skips the phase), BENCH_PROPAGATION_TARGETS (10000),
// BENCH_PROPAGATION_BURST (1000), BENCH_PROPAGATION_BURST_CONCURRENCY (10),
// BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (redis://127.0.0.1:6379).
// The cluster shares Redis's `switchyard:config` channel with any other cluster on that server;
// a foreign notice costs one extra no-op catch-up, no wrong config.

import { randomBytes } from 'node:crypto'
import http from 'node:http'
import {
  checkRedis,
  freePorts,
  getJson,
  startLocalCluster,
  type LocalCluster,
  type NodeStatus,
} from '../scripts/cluster.ts'
import { benchRun } from './lib/bench-run.ts'
import { cpuSeconds, runFleet } from './lib/fleet.ts'
import { jsonRequest } from './lib/json-request.ts'
import { execSync } from 'node:child_process'
import { quantile } from './lib/quantile.ts'

const WRITES = Number(process.env['BENCH_PROPAGATION_WRITES'] ?? 500)
const DATA_PLANES = Number(process.env['BENCH_PROPAGATION_DATA_PLANES'] ?? 3)
const POLL_GAP_MS = Number(process.env['BENCH_PROPAGATION_POLL_GAP_MS'] ?? 1)
const PG_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const TARGET_P99_MS = 100
const WARMUP_WRITES = 20
const INITIAL_TARGETS = 10
/** One write not seen everywhere by then is a timeout; too many of them end the run. */
const WRITE_TIMEOUT_MS = 5000
const MAX_TIMEOUTS = 5
const WATCHDOG_MS = 600_000
const FOLLOWERS = Number(process.env['BENCH_PROPAGATION_FOLLOWERS'] ?? 50)
const FLEET_TARGETS = Number(process.env['BENCH_PROPAGATION_TARGETS'] ?? 10_000)
const BURST = Number(process.env['BENCH_PROPAGATION_BURST'] ?? 1000)
const BURST_CONCURRENCY = Number(process.env['BENCH_PROPAGATION_BURST_CONCURRENCY'] ?? 10)
const UPSTREAM = 'bench-propagation'

// ---------------------------------------------------------------------------------------------
// Resources, and one cleanup for every way out.

const run = benchRun(PG_URL, WATCHDOG_MS)
const { databaseUrl, workDir: cacheDir, cleanupNow } = run

// ---------------------------------------------------------------------------------------------
// Admin API writes.

const adminAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })

/** Sends a JSON write; resolves with the status once the whole response has arrived. */
function adminWrite(base: string, method: string, path: string, body: object): Promise<{ status: number; text: string }> {
  return jsonRequest(adminAgent, `${base}${path}`, method, body)
}

const initialTarget = (i: number) => `10.0.0.${i + 1}:8000`

/** Write number `n` of the mix: every fifth adds a target, the others change a weight. */
function writeFor(n: number): { method: string; path: string; body: object; kind: 'patch' | 'create' } {
  if (n % 5 === 4) {
    const k = Math.floor(n / 5)
    return { method: 'POST', path: `/upstreams/${UPSTREAM}/targets`, body: { target: `10.1.${k >> 8}.${k & 255}:8000` }, kind: 'create' }
  }
  // A weight no earlier write of this target used, so every write is a real change.
  const target = initialTarget(n % INITIAL_TARGETS)
  return { method: 'PATCH', path: `/upstreams/${UPSTREAM}/targets/${target}`, body: { weight: 1 + (n % 60000) }, kind: 'patch' }
}

async function write(cluster: LocalCluster, n: number): Promise<number> {
  const w = writeFor(n)
  const res = await adminWrite(cluster.controlPlane.admin, w.method, w.path, w.body)
  const at = performance.now()
  if (res.status < 200 || res.status >= 300) throw new Error(`${w.method} ${w.path} answered ${res.status}: ${res.text}`)
  return at
}

// ---------------------------------------------------------------------------------------------
// Watching the data planes.

/** When a data plane was first seen at a version (`at`), and the latest it can have applied it before. */
interface Seen {
  at: number
  after: number
}

interface Waiter {
  version: number
  seen: Array<Seen | undefined>
  resolve(bounds: Seen): void
}

class Watcher {
  private readonly latest: Array<{ version: number } & Seen>
  private waiter: Waiter | undefined
  private running = true
  private loops: Promise<void>[] = []
  readonly roundTrips: number[] = []
  errors = 0

  constructor(private readonly statusUrls: string[]) {
    this.latest = statusUrls.map(() => ({ version: -1, at: 0, after: 0 }))
  }

  start(): void {
    this.loops = this.statusUrls.map((url, i) => this.poll(url, i))
  }

  private async poll(url: string, i: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    let previousSent = performance.now()
    while (this.running) {
      const sent = performance.now()
      try {
        const status = await getJson<NodeStatus>(url, 2000, agent)
        const at = performance.now()
        this.roundTrips.push(at - sent)
        this.observe(i, status.config_version, { at, after: previousSent })
        previousSent = sent
        if (POLL_GAP_MS > 0) await new Promise((r) => setTimeout(r, POLL_GAP_MS))
      } catch {
        this.errors++
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    agent.destroy()
  }

  private observe(i: number, version: number, seen: Seen): void {
    // Only the first sighting of a version carries its bounds.
    if (version > this.latest[i]!.version) this.latest[i] = { version, ...seen }
    const w = this.waiter
    if (!w || w.seen[i] !== undefined || version < w.version) return
    w.seen[i] = seen
    this.settle(w)
  }

  private settle(w: Waiter): void {
    if (w.seen.some((s) => s === undefined)) return
    this.waiter = undefined
    const all = w.seen as Seen[]
    // The last data plane to apply bounds the write's propagation on both sides.
    w.resolve({ at: Math.max(...all.map((s) => s.at)), after: Math.max(...all.map((s) => s.after)) })
  }

  /** When every data plane was first seen at `version` or later; undefined after the timeout. */
  until(version: number, timeoutMs: number): Promise<Seen | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        resolve(undefined)
      }, timeoutMs)
      const w: Waiter = {
        version,
        seen: this.latest.map((l) => (l.version >= version ? { at: l.at, after: l.after } : undefined)),
        resolve: (at) => {
          clearTimeout(timer)
          resolve(at)
        },
      }
      this.waiter = w
      this.settle(w)
    })
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }
}

// ---------------------------------------------------------------------------------------------

const ms = (n: number) => `${n.toFixed(2)} ms`

async function cpVersion(cluster: LocalCluster): Promise<number> {
  return (await getJson<NodeStatus>(`${cluster.controlPlane.cluster}/status`)).config_version
}

async function converged(cluster: LocalCluster, timeoutMs: number): Promise<NodeStatus> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const s = await cluster.statuses()
    const same = s.dataPlanes.every(
      (d) => d.config_version === s.controlPlane.config_version && d.config_hash === s.controlPlane.config_hash
    )
    if (same) return s.controlPlane
    if (Date.now() > deadline) {
      throw new Error(`no convergence: cp ${JSON.stringify(s.controlPlane)} dps ${JSON.stringify(s.dataPlanes)}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function main(): Promise<void> {
  await checkRedis(REDIS_URL)
  run.createDatabase()

  const ports = await freePorts(2 + 2 * DATA_PLANES)
  const clusterToken = randomBytes(24).toString('base64url')
  const cluster = await startLocalCluster({
    databaseUrl,
    redisUrl: REDIS_URL,
    clusterToken,
    host: '127.0.0.1',
    adminPort: ports[0]!,
    clusterPort: ports[1]!,
    proxyPorts: ports.slice(2, 2 + DATA_PLANES),
    statusPorts: ports.slice(2 + DATA_PLANES),
    cacheDir,
    logLevel: 'warn',
    onUnexpectedExit: (name, code, signal) => {
      console.error(`bench: ${name} exited unexpectedly (${signal ?? `code ${code}`})`)
      process.exit(1)
    },
  })
  console.log(`cluster: 1 control plane + ${DATA_PLANES} data planes, fresh database, Redis ${REDIS_URL}`)

  // Set-up and warm-up, not measured: one upstream with its targets, then a few writes of the
  // measured mix, each checked to advance the control plane by exactly one version.
  const created = await adminWrite(cluster.controlPlane.admin, 'POST', '/upstreams', { name: UPSTREAM })
  if (created.status !== 201) throw new Error(`creating the upstream answered ${created.status}: ${created.text}`)
  for (let i = 0; i < INITIAL_TARGETS; i++) {
    const r = await adminWrite(cluster.controlPlane.admin, 'POST', `/upstreams/${UPSTREAM}/targets`, {
      target: initialTarget(i),
    })
    if (r.status !== 201) throw new Error(`creating a target answered ${r.status}: ${r.text}`)
  }
  let n = 0
  for (; n < WARMUP_WRITES; n++) {
    const before = await cpVersion(cluster)
    await write(cluster, n)
    const after = await cpVersion(cluster)
    if (after !== before + 1) throw new Error(`a write moved the version by ${after - before}, not 1: cannot attribute versions`)
  }
  const v0 = (await converged(cluster, 10_000)).config_version

  const watcher = new Watcher(cluster.dataPlanes.map((d) => `${d.status}/status`))
  watcher.start()
  const samples: number[] = []
  const lowerBounds: number[] = []
  const byKind = { patch: [] as number[], create: [] as number[] }
  let alreadyApplied = 0
  let timeouts = 0
  const cpuAtStart = cpuSeconds(cluster.controlPlane.pid)
  const t0 = performance.now()
  for (let k = 1; k <= WRITES; k++, n++) {
    const ackAt = await write(cluster, n)
    const done = await watcher.until(v0 + k, WRITE_TIMEOUT_MS)
    if (done === undefined) {
      timeouts++
      console.error(`bench: write ${k} (version ${v0 + k}) not on every data plane after ${WRITE_TIMEOUT_MS} ms`)
      if (timeouts >= MAX_TIMEOUTS) throw new Error(`${timeouts} writes timed out, giving up`)
      continue
    }
    if (done.at <= ackAt) alreadyApplied++
    const latency = Math.max(0, done.at - ackAt)
    samples.push(latency)
    lowerBounds.push(Math.max(0, done.after - ackAt))
    byKind[writeFor(n).kind].push(latency)
  }
  const elapsedS = (performance.now() - t0) / 1000
  const cpCpuMsPerWrite = ((cpuSeconds(cluster.controlPlane.pid) - cpuAtStart) * 1000) / WRITES
  await watcher.stop()

  const final = await converged(cluster, 10_000)
  const versionsOk = final.config_version === v0 + WRITES

  const sorted = [...samples].sort((a, b) => a - b)
  const lower = [...lowerBounds].sort((a, b) => a - b)
  const rtt = [...watcher.roundTrips].sort((a, b) => a - b)
  const p99 = quantile(sorted, 0.99)
  const summary = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b)
    return `p50 ${ms(quantile(s, 0.5))}  p99 ${ms(quantile(s, 0.99))}  max ${ms(s[s.length - 1] ?? NaN)}`
  }
  console.log(`
propagation: Admin API 2xx → all ${DATA_PLANES} data planes report the write's config_version
  writes     ${samples.length} measured of ${WRITES} (${byKind.patch.length} weight PATCH, ${byKind.create.length} target POST), sequential, ${elapsedS.toFixed(1)} s
  latency    p50 ${ms(quantile(sorted, 0.5))}  p99 ${ms(p99)}  max ${ms(sorted[sorted.length - 1] ?? NaN)}  mean ${ms(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1))}
    PATCH    ${summary(byKind.patch)}
    POST     ${summary(byKind.create)}
  applied on every data plane before the 2xx arrived: ${alreadyApplied}; timeouts: ${timeouts}
  target     p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'NOT met'}
  error      the true latency is at least p50 ${ms(quantile(lower, 0.5))}  p99 ${ms(quantile(lower, 0.99))}  max ${ms(lower[lower.length - 1] ?? NaN)}
             (previous poll's send); polls ${POLL_GAP_MS} ms apart, /status round trip p50 ${ms(quantile(rtt, 0.5))}, p99 ${ms(quantile(rtt, 0.99))} (${rtt.length} polls, ${watcher.errors} failed)
  cp CPU     ${cpCpuMsPerWrite.toFixed(2)} ms per write (sequential writes, ${DATA_PLANES} data planes)
  check      final versions ${versionsOk ? 'advanced one per write' : `OFF: control plane at ${final.config_version}, expected ${v0 + WRITES}`}; all hashes equal ${final.config_hash}`)
  if (!versionsOk) process.exitCode = 1
  if (FOLLOWERS > 0) {
    await runFleet({
      cluster,
      databaseUrl,
      token: clusterToken,
      redisUrl: REDIS_URL,
      followers: FOLLOWERS,
      targets: FLEET_TARGETS,
      burst: BURST,
      concurrency: BURST_CONCURRENCY,
    })
  }
  // Other agents share this machine's CPU: the load average says how much.
  console.log(`  load       ${execSync('uptime').toString().trim()}`)
  await cluster.stop()
}

main()
  .catch((err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? err}`)
    process.exitCode = 1
  })
  .finally(() => {
    cleanupNow()
    adminAgent.destroy()
  })
