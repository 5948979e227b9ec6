// The real boot of `npm run bench:config`: a control plane process on a fresh Postgres database,
// seeded in bulk with the benchmark's configuration (a few template rows through the Admin API,
// so every default column is filled as the API fills it, then copied by SQL; targets inserted
// directly; then a new cluster epoch, as a restored database would), and data plane processes
// timed from spawn to serving that configuration: their /status reports the control plane's
// config_version and config_hash. The data plane runs as production runs it: the compiled
// build (`npm run build`, then `node --conditions=switchyard-dist apps/data-plane/dist/main.js`,
// as scripts/docker-entrypoint.sh does), and, beside it, from source through tsx (`npm run dev`'s
// way). Spawns: on an empty configuration (the process start alone: node, module loading,
// listeners), on the seeded one while the control plane's snapshot is not yet built (cold:
// includes the control plane reading and serialising it; compiled), and again once it is cached
// (warm; compiled and tsx). Only prints.

import { randomBytes } from 'node:crypto'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePorts, killAllStarted, startLocalCluster, type LocalCluster } from '../../scripts/cluster.ts'
import { dropDatabase, ensureDatabase, withDatabase } from '../../scripts/lib/postgres-admin.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** How a data plane process is started: compiled (production) or from source through tsx. */
export type Runtime = 'compiled' | 'tsx'
const DATA_PLANE_ARGS: Record<Runtime, readonly string[]> = {
  compiled: ['--conditions=switchyard-dist', join(ROOT, 'apps/data-plane/dist/main.js')],
  tsx: ['--import', 'tsx', join(ROOT, 'apps/data-plane/src/main.ts')],
}

export interface RealBootOptions {
  upstreams: number
  targets: number
  routes: number
  /** Every n-th upstream uses consistent hashing. */
  consistentEvery: number
  pgUrl: string
  redisUrl: string
}

export interface RealBootResult {
  /** `npm run build` before the spawns (incremental: little when dist/ is fresh). */
  buildMs: number
  /** Spawn to serving an empty configuration: the process start alone. */
  emptyMs: Record<Runtime, number>
  /** Compiled, full configuration, the control plane's snapshot not yet built. */
  coldMs: number
  /** Full configuration, the control plane's snapshot cached. */
  warmMs: Record<Runtime, number>
  /** Control plane: first /status after the new epoch (a full read and hash of the database). */
  controlPlaneStatusMs: number
  entities: number
}

function psql(url: string, sql: string): void {
  const r = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`psql: ${r.error?.message ?? r.stderr}`)
}

async function adminPost(base: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.json()) as Record<string, unknown>
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** GET as JSON on a fresh connection (a kept-alive one may have been closed by the server meanwhile). */
async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } })
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  return (await res.json()) as T
}

interface Status {
  config_version?: number
  config_hash?: string
}

/** Spawns a data plane and resolves with ms from spawn until it serves the control plane's config. */
async function timeDataPlane(cluster: LocalCluster, env: NodeJS.ProcessEnv, cacheFile: string, runtime: Runtime): Promise<number> {
  const cp = await getJson<Status>(`${cluster.controlPlane.cluster}/status`, 60_000)
  const [proxyPort, statusPort] = await freePorts(2)
  const started = performance.now()
  const child: ChildProcess = spawn(process.execPath, [...DATA_PLANE_ARGS[runtime]], {
    cwd: ROOT,
    env: {
      ...env,
      KONG_ROLE: 'data_plane',
      KONG_CLUSTER_CONTROL_PLANE: new URL(cluster.controlPlane.cluster).host,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      SWITCHYARD_CACHE_FILE: cacheFile,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)))
  try {
    const deadline = started + 120_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`data plane exited: ${stderr}`)
      try {
        const s = await getJson<Status>(`http://127.0.0.1:${statusPort}/status`, 1000)
        if (s.config_version === cp.config_version && s.config_hash === cp.config_hash) return performance.now() - started
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error(`data plane did not converge: ${stderr}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))
  }
}

export async function realBoot(opts: RealBootOptions): Promise<RealBootResult> {
  const buildStart = performance.now()
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' })
  if (build.status !== 0) throw new Error(`npm run build: ${build.error?.message ?? build.stdout + build.stderr}`)
  const buildMs = performance.now() - buildStart
  const databaseUrl = withDatabase(opts.pgUrl, `switchyard_bench_config_${randomBytes(5).toString('hex')}`)
  const cacheDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-config-'))
  ensureDatabase(databaseUrl)
  const ports = await freePorts(2)
  const token = randomBytes(24).toString('base64url')
  let cluster: LocalCluster | undefined
  try {
    cluster = await startLocalCluster({
      databaseUrl,
      redisUrl: opts.redisUrl,
      clusterToken: token,
      host: '127.0.0.1',
      adminPort: ports[0]!,
      clusterPort: ports[1]!,
      proxyPorts: [],
      statusPorts: [],
      cacheDir,
      logLevel: 'warn',
      readyTimeoutMs: 60_000,
      output: () => {},
    })
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: opts.redisUrl, SWITCHYARD_CLUSTER_TOKEN: token, KONG_LOG_LEVEL: 'warn', SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on' }
    for (const k of Object.keys(env)) if ((k.startsWith('KONG_') && k !== 'KONG_LOG_LEVEL') || k === 'DATABASE_URL') delete env[k]
    // Each twice: the first start also fills tsx's compile cache (and the OS file cache), which no
    // later start pays.
    const emptyMs = { compiled: 0, tsx: 0 }
    for (const runtime of ['tsx', 'compiled'] as const) {
      await timeDataPlane(cluster, env, join(cacheDir, `empty-${runtime}-0.json`), runtime)
      emptyMs[runtime] = await timeDataPlane(cluster, env, join(cacheDir, `empty-${runtime}.json`), runtime)
    }

    // Templates through the Admin API, then copies by SQL.
    const admin = cluster.controlPlane.admin
    await adminPost(admin, '/upstreams', { name: 'up-0.bench', algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' })
    await adminPost(admin, '/upstreams', { name: 'up-1.bench' })
    await adminPost(admin, '/services', { name: 'svc-0', host: 'up-0.bench', port: 80, path: '/v1' })
    await adminPost(admin, '/services/svc-0/routes', { name: 'route-0', paths: ['/api/0'], hosts: ['tenant-0.bench'] })
    const copy = (table: string, template: string, from: string, fields: string) =>
      `insert into ${table} select (jsonb_populate_record(null::${table}, to_jsonb(t) || jsonb_build_object(${fields}))).* from ${table} t, ${from} and t.name = '${template}';`
    psql(
      databaseUrl,
      [
        copy('upstreams', 'up-0.bench', `generate_series(2, ${opts.upstreams - 1}) g where g % ${opts.consistentEvery} = 0`, `'id', gen_random_uuid(), 'name', 'up-' || g || '.bench'`),
        copy('upstreams', 'up-1.bench', `generate_series(2, ${opts.upstreams - 1}) g where g % ${opts.consistentEvery} <> 0`, `'id', gen_random_uuid(), 'name', 'up-' || g || '.bench'`),
        copy('services', 'svc-0', `generate_series(1, ${opts.routes - 1}) g where true`, `'id', gen_random_uuid(), 'name', 'svc-' || g, 'host', 'up-' || (g % ${opts.upstreams}) || '.bench'`),
        `insert into routes select (jsonb_populate_record(null::routes, to_jsonb(t) || jsonb_build_object('id', gen_random_uuid(), 'name', 'route-' || substr(s.name, 5), 'paths', jsonb_build_array('/api/' || substr(s.name, 5)), 'hosts', jsonb_build_array('tenant-' || (substr(s.name, 5)::int % 200) || '.bench'), 'service_id', s.id))).* from routes t, services s where t.name = 'route-0' and s.name <> 'svc-0';`,
        `insert into targets (id, created_at, updated_at, upstream_id, target, weight)
         select gen_random_uuid(), extract(epoch from now()), extract(epoch from now()), u.id,
                '10.' || (g >> 16) || '.' || ((g >> 8) & 255) || '.' || (g & 255) || ':8000', 100
         from generate_series(0, ${opts.targets - 1}) g join upstreams u on u.name = 'up-' || (g % ${opts.upstreams}) || '.bench';`,
        `update cluster_epoch set epoch = gen_random_uuid(), updated_at = now();`,
      ].join('\n')
    )
    const statusStart = performance.now()
    await getJson(`${cluster.controlPlane.cluster}/status`, 60_000)
    const controlPlaneStatusMs = performance.now() - statusStart
    const coldMs = await timeDataPlane(cluster, env, join(cacheDir, 'cold.json'), 'compiled')
    const warmMs = {
      compiled: await timeDataPlane(cluster, env, join(cacheDir, 'warm-compiled.json'), 'compiled'),
      tsx: await timeDataPlane(cluster, env, join(cacheDir, 'warm-tsx.json'), 'tsx'),
    }
    const snap = await fetch(`${cluster.controlPlane.cluster}/v1/snapshot`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await snap.json()) as { entities: Record<string, unknown[]> }
    const entities = Object.values(body.entities).reduce((n, list) => n + list.length, 0)
    return { buildMs, emptyMs, coldMs, warmMs, controlPlaneStatusMs, entities }
  } finally {
    await cluster?.stop().catch(() => killAllStarted())
    rmSync(cacheDir, { recursive: true, force: true })
    try {
      dropDatabase(databaseUrl)
    } catch (err) {
      console.error(`bench: could not drop ${databaseUrl}: ${(err as Error).message}`)
    }
  }
}
