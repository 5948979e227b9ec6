// `npm run bench:admin`: Admin API write throughput with data planes attached (issue 11, item 4).
// Starts a fresh Postgres database (switchyard_bench_<random>, dropped at the end), a control
// plane and 3 data planes on free loopback ports (the processes of `npm run cluster`), then:
//
// 1. A decK sync (the Debian package `deck` 1.4, installed by scripts/deck.sh when missing) of
//    BENCH_ADMIN_DECK_SERVICES services with a route each and BENCH_ADMIN_DECK_TARGETS targets
//    over 10 upstreams into the empty database: wall time of `deck sync` and until every data
//    plane converged. Skipped, and said so, when decK cannot be installed.
// 2. Writes: 16 clients, each on its own upstream and keep-alive connection, alternate between
//    creating a target (POST) and changing that target's weight (PATCH), as fast as answers
//    come, for BENCH_ADMIN_SECONDS. Prints writes/s, acknowledgement p50/p99/max, the control
//    plane's and Postgres's CPU per write (Postgres: every postgres process on the machine, so
//    other work on the server counts too), and how long after the last acknowledgement every
//    data plane had the control plane's version and hash.
// 3. Checks, printed: the outbox versions are dense (no version lost between commits), every
//    acknowledged create is a row, every acknowledged weight is the stored one, and every data
//    plane ends on the control plane's version and config hash (so it applied every write).
//
// Only prints: no pass/fail on the numbers. Env: BENCH_ADMIN_SECONDS (10), BENCH_ADMIN_CLIENTS
// (16), BENCH_ADMIN_DATA_PLANES (3), BENCH_ADMIN_DECK_TARGETS (1000), BENCH_ADMIN_DECK_SERVICES
// (200), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL.

import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { checkRedis, freePorts, startLocalCluster, type LocalCluster } from '../scripts/cluster.ts'
import { benchRun } from './lib/bench-run.ts'
import { jsonRequest } from './lib/json-request.ts'
import { cpuSeconds } from './lib/proc-cpu.ts'
import { quantile } from './lib/quantile.ts'

const SECONDS = Number(process.env['BENCH_ADMIN_SECONDS'] ?? 10)
const CLIENTS = Number(process.env['BENCH_ADMIN_CLIENTS'] ?? 16)
const DATA_PLANES = Number(process.env['BENCH_ADMIN_DATA_PLANES'] ?? 3)
const DECK_TARGETS = Number(process.env['BENCH_ADMIN_DECK_TARGETS'] ?? 1000)
const DECK_SERVICES = Number(process.env['BENCH_ADMIN_DECK_SERVICES'] ?? 200)
const PG_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const CONVERGE_TIMEOUT_MS = 60_000
const WATCHDOG_MS = 900_000
const TARGETS = { writesPerSecond: 1000, ackP99Ms: 50, deckSeconds: 10 }

const root = fileURLToPath(new URL('..', import.meta.url))
const run = benchRun(PG_URL, WATCHDOG_MS, 'switchyard-bench-admin-')
const { databaseUrl, workDir, cleanupNow } = run

/** One JSON request on `agent` to the Admin API at `base`. */
function request(agent: http.Agent, base: string, method: string, path: string, body?: object): Promise<{ status: number; text: string }> {
  return jsonRequest(agent, `${base}${path}`, method, body)
}

/** CPU-seconds of every postgres process (the server's backends for every database). */
function postgresCpuSeconds(): number {
  let total = 0
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue
      total += cpuSeconds(Number(name))
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/** Milliseconds until every data plane shows the control plane's version and hash. */
async function converge(cluster: LocalCluster, since: number): Promise<{ ms: number; version: number; hash: string }> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS
  for (;;) {
    const s = await cluster.statuses()
    const cp = s.controlPlane
    if (s.dataPlanes.every((d) => d.config_version === cp.config_version && d.config_hash === cp.config_hash)) {
      return { ms: performance.now() - since, version: cp.config_version, hash: cp.config_hash }
    }
    if (Date.now() > deadline) {
      const got = s.dataPlanes.map((d) => `${d.config_version}/${d.config_hash.slice(0, 8)}`).join(', ')
      throw new Error(`data planes did not converge on ${cp.config_version}/${cp.config_hash.slice(0, 8)} in ${CONVERGE_TIMEOUT_MS} ms: ${got}`)
    }
    await new Promise((r) => setTimeout(r, 2))
  }
}

// ---------------------------------------------------------------------------------------------
// Concurrent creates and updates.

interface ClientLog {
  latencies: number[]
  /** The acknowledged state: target → last acknowledged weight. */
  weights: Map<string, number>
  failures: string[]
}

async function client(cluster: LocalCluster, index: number, until: number): Promise<ClientLog> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const log: ClientLog = { latencies: [], weights: new Map(), failures: [] }
  const upstream = `bench-admin-${index}`
  const base = cluster.controlPlane.admin
  for (let n = 0; performance.now() < until; n++) {
    // Write 2k creates target k, write 2k+1 changes its weight.
    const k = n >> 1
    const create = n % 2 === 0
    const t = `10.${index}.${(k >> 8) & 255}.${k & 255}:8000`
    const weight = create ? 100 : 1 + (k % 999)
    const started = performance.now()
    const res = create
      ? await request(agent, base, 'POST', `/upstreams/${upstream}/targets`, { target: t, weight })
      : await request(agent, base, 'PATCH', `/upstreams/${upstream}/targets/${t}`, { weight })
    log.latencies.push(performance.now() - started)
    if (res.status >= 200 && res.status < 300) log.weights.set(t, weight)
    else log.failures.push(`${create ? 'POST' : 'PATCH'} ${t}: ${res.status} ${res.text.slice(0, 200)}`)
  }
  agent.destroy()
  return log
}

async function writePhase(cluster: LocalCluster, pool: pg.Pool): Promise<void> {
  const setup = new http.Agent({ keepAlive: true, maxSockets: 4 })
  for (let i = 0; i < CLIENTS; i++) {
    const res = await request(setup, cluster.controlPlane.admin, 'POST', '/upstreams', { name: `bench-admin-${i}` })
    if (res.status !== 201) throw new Error(`creating upstream ${i}: ${res.status} ${res.text}`)
  }
  setup.destroy()
  await converge(cluster, performance.now())

  const cpPid = cluster.controlPlane.pid
  const dpPids = cluster.dataPlanes.map((d) => d.pid)
  const cpu0 = { cp: cpuSeconds(cpPid), pg: postgresCpuSeconds(), dp: dpPids.map(cpuSeconds) }
  const load0 = loadAverage()
  const started = performance.now()
  const logs = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(cluster, i, started + SECONDS * 1000)))
  const lastAck = performance.now()
  const elapsed = (lastAck - started) / 1000
  const cpu1 = { cp: cpuSeconds(cpPid), pg: postgresCpuSeconds(), dp: dpPids.map(cpuSeconds) }
  const settled = await converge(cluster, lastAck)

  const latencies = logs.flatMap((l) => l.latencies).sort((a, b) => a - b)
  const failures = logs.flatMap((l) => l.failures)
  const writes = latencies.length
  const ok = writes - failures.length
  console.log(`\n--- ${CLIENTS} clients creating and updating targets for ${SECONDS} s, ${DATA_PLANES} data planes attached`)
  console.log(`load average before: ${load0}; after: ${loadAverage()}`)
  console.log(`writes acknowledged 2xx: ${ok} of ${writes} in ${elapsed.toFixed(2)} s = ${(ok / elapsed).toFixed(0)} writes/s (target ≥ ${TARGETS.writesPerSecond})`)
  console.log(
    `acknowledgement: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms ` +
      `(target < ${TARGETS.ackP99Ms}), max ${latencies[latencies.length - 1]?.toFixed(2)} ms`
  )
  console.log(
    `CPU per write: control plane ${(((cpu1.cp - cpu0.cp) * 1000) / writes).toFixed(3)} ms, ` +
      `postgres (all processes) ${(((cpu1.pg - cpu0.pg) * 1000) / writes).toFixed(3)} ms, ` +
      `each data plane ${dpPids.map((_, i) => (((cpu1.dp[i]! - cpu0.dp[i]!) * 1000) / writes).toFixed(3)).join(' / ')} ms`
  )
  console.log(`every data plane on version ${settled.version} with the control plane's hash ${settled.ms.toFixed(1)} ms after the last acknowledgement`)
  for (const f of failures.slice(0, 5)) console.log(`  failed: ${f}`)

  // Nothing lost: dense versions, every acknowledged create stored with its last acknowledged weight.
  const dense = await pool.query<{ n: string; lo: string; hi: string }>('select count(*) n, min(version) lo, max(version) hi from config_events')
  const { n, lo, hi } = dense.rows[0]!
  const isDense = Number(hi) - Number(lo) + 1 === Number(n)
  const stored = await pool.query<{ name: string; target: string; weight: number }>(
    `select u.name, t.target, t.weight from targets t join upstreams u on u.id = t.upstream_id where u.name like 'bench-admin-%'`
  )
  const byKey = new Map(stored.rows.map((r) => [`${r.name}|${r.target}`, r.weight]))
  let missing = 0
  let wrongWeight = 0
  logs.forEach((l, i) => {
    for (const [t, w] of l.weights) {
      const got = byKey.get(`bench-admin-${i}|${t}`)
      if (got === undefined) missing++
      else if (got !== w) wrongWeight++
    }
  })
  console.log(
    `checks: outbox versions ${lo}..${hi} ${isDense ? 'dense' : `NOT dense (${n} rows)`}; ` +
      `acknowledged targets missing ${missing}, with another weight ${wrongWeight}; ` +
      `data planes on the control plane's version and hash: yes`
  )
}

// ---------------------------------------------------------------------------------------------
// A decK sync.

function deckState(): string {
  const lines = ['_format_version: "1.1"', 'services:']
  for (let i = 0; i < DECK_SERVICES; i++) {
    lines.push(
      `- name: deck-svc-${i}`,
      `  host: deck-up-${i % 10}`,
      '  port: 80',
      '  protocol: http',
      '  routes:',
      `  - name: deck-route-${i}`,
      '    paths:',
      `    - /deck/${i}`
    )
  }
  lines.push('upstreams:')
  const perUpstream = Math.ceil(DECK_TARGETS / 10)
  for (let u = 0; u < 10; u++) {
    lines.push(`- name: deck-up-${u}`, '  targets:')
    for (let t = 0; t < perUpstream && u * perUpstream + t < DECK_TARGETS; t++) {
      lines.push(`  - target: 10.200.${u}.${t}:80`, '    weight: 100')
    }
  }
  return lines.join('\n') + '\n'
}

function findDeck(): string | undefined {
  try {
    return execFileSync('bash', [join(root, 'scripts/deck.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
  } catch {
    return undefined
  }
}

async function deckPhase(cluster: LocalCluster): Promise<void> {
  console.log(`\n--- decK sync of ${DECK_SERVICES} services with a route each and ${DECK_TARGETS} targets over 10 upstreams`)
  const deck = findDeck()
  if (!deck) {
    console.log('skipped: decK is not installed and could not be installed (scripts/deck.sh)')
    return
  }
  const file = join(workDir, 'kong.yaml')
  writeFileSync(file, deckState())
  const started = performance.now()
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(
      deck,
      ['sync', '--state', file, '--kong-addr', cluster.controlPlane.admin],
      { cwd: workDir, env: { ...process.env, HOME: workDir }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, text: `${stdout}${stderr}` })
    )
  })
  const synced = performance.now()
  if (out.code !== 0) {
    console.log(`deck sync failed:\n${out.text.slice(-2000)}`)
    return
  }
  const settled = await converge(cluster, synced)
  const summary = out.text.split('\n').filter((l) => /Summary|Created|Updated|Deleted/.test(l)).join('; ')
  console.log(`deck sync: ${((synced - started) / 1000).toFixed(2)} s (target < ${TARGETS.deckSeconds} s); ${summary}`)
  console.log(`every data plane on version ${settled.version} with the control plane's hash ${settled.ms.toFixed(1)} ms after deck returned`)
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  await checkRedis(REDIS_URL)
  run.createDatabase()
  const ports = await freePorts(2 + 2 * DATA_PLANES)
  console.log(`bench:admin — ${new Date().toISOString()}, load average ${loadAverage()}`)
  const cluster = await startLocalCluster({
    databaseUrl,
    redisUrl: REDIS_URL,
    clusterToken: randomBytes(24).toString('hex'),
    host: '127.0.0.1',
    adminPort: ports[0]!,
    clusterPort: ports[1]!,
    proxyPorts: ports.slice(2, 2 + DATA_PLANES),
    statusPorts: ports.slice(2 + DATA_PLANES),
    cacheDir: workDir,
    logLevel: 'warn',
    output: (line) => {
      if (/ERROR|FATAL/.test(line)) console.error(line)
    },
  })
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  try {
    // decK first, into the empty database: a sync deletes what its file does not hold.
    await deckPhase(cluster)
    await writePhase(cluster, pool)
  } finally {
    await pool.end()
    await cluster.stop()
    cleanupNow()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  }
)
