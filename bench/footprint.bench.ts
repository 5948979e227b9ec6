// `npm run bench:footprint`: resident memory when idle and start-up time to the first proxied
// request, for the compiled build (what `npm start` and the image run) and for the sources
// through tsx (`npm run dev`, the tests), in the same run on this machine. It only prints.
//
// Gateway (`npm start`'s process: control plane + data plane on embedded PGlite):
//   1. fresh data directory: spawn → Admin API answering (includes PGlite's initdb), then a
//      service + route to a local backend through the Admin API, idle RSS after BENCH_SETTLE_MS;
//   2. the same directory again: spawn → first 200 through the proxy, idle RSS after settling.
// Data plane alone: a compiled control plane on a fresh Postgres database + Redis holds the same
// service + route; each data plane: spawn → first 200 through its proxy, idle RSS after settling.
// RSS is VmRSS of the node process itself (not of npm, which `npm start` keeps beside it).
//
// Env: BENCH_SETTLE_MS (5000), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres),
// REDIS_URL (redis://127.0.0.1:6379). Without Postgres or Redis the data-plane part is skipped.

import { spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkRedis, freePorts } from '../scripts/cluster.ts'
import { dropDatabase, ensureDatabase, withDatabase } from '../scripts/lib/postgres-admin.ts'
import { installCleanup, spawnTracked, stop, stopAll } from './lib/children.ts'

const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 5000)
const PG_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
const START_TIMEOUT_MS = 120_000
const root = fileURLToPath(new URL('..', import.meta.url))

type Runtime = 'compiled' | 'tsx'
type App = 'gateway' | 'control-plane' | 'data-plane'

/** How node runs an app's main: compiled output with the dist condition, or sources via tsx. */
function mainArgs(runtime: Runtime, app: App): string[] {
  return runtime === 'compiled'
    ? ['--conditions=switchyard-dist', join(root, `apps/${app}/dist/main.js`)]
    : ['--import', 'tsx', join(root, `apps/${app}/src/main.ts`)]
}

/** The parent's environment without any KONG_*, DATABASE_URL or REDIS_URL of the shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('KONG_') || k === 'DATABASE_URL' || k === 'REDIS_URL') delete env[k]
  return { ...env, KONG_LOG_LEVEL: 'warn', ...extra }
}

interface Started {
  child: ChildProcess
  t0: number
  log: string[]
}

function launch(runtime: Runtime, app: App, env: NodeJS.ProcessEnv): Started {
  const t0 = performance.now()
  const child = spawnTracked(process.execPath, mainArgs(runtime, app), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const log: string[] = []
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('data', (c: Buffer) => {
      log.push(c.toString())
      if (log.length > 20) log.shift()
    })
  }
  return { child, t0, log }
}

function status(url: string): Promise<number> {
  return new Promise((ok) => {
    const req = http.get(url, { timeout: 1000, agent: false }, (res) => {
      res.resume()
      res.on('end', () => ok(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => ok(0))
  })
}

/** Polls `url` until it answers 200; ms since the process was spawned. */
async function msUntil200(p: Started, url: string): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`process exited during start-up (${p.child.exitCode ?? p.child.signalCode}):\n${p.log.join('')}`)
    }
    if ((await status(url)) === 200) return performance.now() - p.t0
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`${url} gave no 200 within ${START_TIMEOUT_MS} ms:\n${p.log.join('')}`)
}

/** Resident set of a process in MB (Linux /proc), after it has sat idle for SETTLE_MS. */
async function idleRssMb(p: Started): Promise<number> {
  await new Promise((r) => setTimeout(r, SETTLE_MS))
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`)
}

/** The one service + route every case proxies through, to the local backend. */
async function configure(admin: string, backendPort: number): Promise<void> {
  await post(`${admin}/services`, { name: 'footprint', url: `http://127.0.0.1:${backendPort}` })
  await post(`${admin}/services/footprint/routes`, { name: 'footprint', paths: ['/footprint'] })
}

interface GatewayFigures {
  freshReadyMs: number
  freshRssMb: number
  restartFirstProxiedMs: number
  restartRssMb: number
}

async function gateway(runtime: Runtime, backendPort: number): Promise<GatewayFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-footprint-'))
  try {
    const run = async () => {
      const [admin, proxy, statusPort] = await freePorts(3)
      const p = launch(
        runtime,
        'gateway',
        cleanEnv({
          SWITCHYARD_DATA_DIR: dir,
          KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
          KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
          KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        })
      )
      return { p, admin: `http://127.0.0.1:${admin}`, proxy: `http://127.0.0.1:${proxy}` }
    }
    const first = await run()
    const freshReadyMs = await msUntil200(first.p, `${first.admin}/status`)
    await configure(first.admin, backendPort)
    await msUntil200(first.p, `${first.proxy}/footprint`)
    const freshRssMb = await idleRssMb(first.p)
    await stop(first.p.child, 10_000)

    const again = await run()
    const restartFirstProxiedMs = await msUntil200(again.p, `${again.proxy}/footprint`)
    const restartRssMb = await idleRssMb(again.p)
    await stop(again.p.child, 10_000)
    return { freshReadyMs, freshRssMb, restartFirstProxiedMs, restartRssMb }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface DataPlaneFigures {
  firstProxiedMs: number
  rssMb: number
}

async function dataPlane(runtime: Runtime, clusterPort: number, cacheDir: string): Promise<DataPlaneFigures> {
  const [proxy, statusPort] = await freePorts(2)
  const p = launch(
    runtime,
    'data-plane',
    cleanEnv({
      KONG_ROLE: 'data_plane',
      KONG_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      SWITCHYARD_CACHE_FILE: join(cacheDir, `dp-${runtime}.json`),
      SWITCHYARD_CLUSTER_TOKEN: TOKEN,
      SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on',
      REDIS_URL,
    })
  )
  const firstProxiedMs = await msUntil200(p, `http://127.0.0.1:${proxy}/footprint`)
  const rssMb = await idleRssMb(p)
  await stop(p.child, 10_000)
  return { firstProxiedMs, rssMb }
}

const TOKEN = randomBytes(24).toString('hex')

async function cluster(backendPort: number): Promise<void> {
  try {
    await checkRedis(REDIS_URL)
  } catch (err) {
    console.log(`data plane: skipped (${(err as Error).message})`)
    return
  }
  const dbUrl = withDatabase(PG_URL, `switchyard_footprint_${process.pid}`)
  try {
    ensureDatabase(dbUrl)
  } catch (err) {
    console.log(`data plane: skipped (${(err as Error).message})`)
    return
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'switchyard-footprint-dp-'))
  try {
    const [admin, clusterPort] = await freePorts(2)
    const cp = launch(
      'compiled',
      'control-plane',
      cleanEnv({
        KONG_ROLE: 'control_plane',
        DATABASE_URL: dbUrl,
        REDIS_URL,
        KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        KONG_CLUSTER_LISTEN: `127.0.0.1:${clusterPort!}`,
        SWITCHYARD_CLUSTER_TOKEN: TOKEN,
        SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on',
      })
    )
    await msUntil200(cp, `http://127.0.0.1:${admin}/status`)
    await configure(`http://127.0.0.1:${admin}`, backendPort)
    const rows: [string, DataPlaneFigures][] = []
    for (const runtime of ['compiled', 'tsx'] as const) rows.push([runtime, await dataPlane(runtime, clusterPort!, cacheDir)])
    const cpRss = await idleRssMb(cp)
    await stop(cp.child, 10_000)
    console.log('\ndata plane alone (against a compiled control plane on Postgres + Redis)')
    console.log(`  ${'runtime'.padEnd(9)} ${'spawn → first proxied 200'.padStart(26)} ${'idle RSS'.padStart(10)}`)
    for (const [runtime, f] of rows) {
      console.log(`  ${runtime.padEnd(9)} ${`${f.firstProxiedMs.toFixed(0)} ms`.padStart(26)} ${`${f.rssMb.toFixed(0)} MB`.padStart(10)}`)
    }
    const [c, t] = [rows[0]![1], rows[1]![1]]
    console.log(`  compiled/tsx: RSS ${(c.rssMb / t.rssMb).toFixed(2)}, start-up ${(c.firstProxiedMs / t.firstProxiedMs).toFixed(2)}`)
    console.log(`  (the control plane itself, compiled, on Postgres: ${cpRss.toFixed(0)} MB idle)`)
  } finally {
    rmSync(cacheDir, { recursive: true, force: true })
    try {
      dropDatabase(dbUrl)
    } catch {
      // the server went away; nothing left to clean
    }
  }
}

async function main(): Promise<void> {
  installCleanup(600_000)
  if (process.platform !== 'linux') throw new Error('reads /proc/<pid>/status: Linux only')
  const tBuild = performance.now()
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) throw new Error('npm run build failed')
  console.log(`npm run build: ${((performance.now() - tBuild) / 1000).toFixed(1)} s (incremental when dist/ is current)`)
  console.log(`load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()}; settle ${SETTLE_MS} ms before each RSS`)

  const backend = http.createServer((_req, res) => res.end('ok\n'))
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  const backendPort = (backend.address() as AddressInfo).port
  try {
    const rows: [Runtime, GatewayFigures][] = []
    for (const runtime of ['compiled', 'tsx'] as const) rows.push([runtime, await gateway(runtime, backendPort)])
    console.log('\ngateway (npm start: one process, embedded PGlite)')
    console.log(
      `  ${'runtime'.padEnd(9)} ${'fresh dir: spawn → admin up'.padStart(28)} ${'idle RSS'.padStart(9)}` +
        ` ${'restart: spawn → first proxied 200'.padStart(35)} ${'idle RSS'.padStart(9)}`
    )
    for (const [runtime, f] of rows) {
      console.log(
        `  ${runtime.padEnd(9)} ${`${f.freshReadyMs.toFixed(0)} ms`.padStart(28)} ${`${f.freshRssMb.toFixed(0)} MB`.padStart(9)}` +
          ` ${`${f.restartFirstProxiedMs.toFixed(0)} ms`.padStart(35)} ${`${f.restartRssMb.toFixed(0)} MB`.padStart(9)}`
      )
    }
    const [c, t] = [rows[0]![1], rows[1]![1]]
    console.log(
      `  compiled/tsx: idle RSS ${(c.restartRssMb / t.restartRssMb).toFixed(2)}, start-up ${(c.restartFirstProxiedMs / t.restartFirstProxiedMs).toFixed(2)}`
    )
    await cluster(backendPort)
  } finally {
    backend.close()
    await stopAll()
  }
  console.log(`\nload average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
}

await main()
