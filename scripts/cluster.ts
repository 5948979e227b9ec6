// `npm run cluster`: a control plane and N data planes (3 by default) as separate processes on
// loopback, against the local Postgres (database `switchyard`, created when missing) and Redis,
// with each process's JSON logs pretty-printed behind a colored `[cp]`/`[dpN]` tag. Ctrl-C or
// SIGTERM stops the data planes, then the control plane.
//
// `startLocalCluster()` is the same thing as a function, for the propagation benchmark and
// anything else that needs a real cluster: it resolves once every node answers its /status.

import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createTagger, useColor } from './lib/pretty-log.ts'
import { ensureDatabase, redact } from './lib/postgres-admin.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONTROL_PLANE_MAIN = join(ROOT, 'apps/control-plane/src/main.ts')
const DATA_PLANE_MAIN = join(ROOT, 'apps/data-plane/src/main.ts')
/** How long a process has after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5000

export interface LocalClusterOptions {
  databaseUrl: string
  redisUrl: string
  clusterToken: string
  /** Interface every listener binds to. */
  host: string
  adminPort: number
  clusterPort: number
  /** One entry per data plane. */
  proxyPorts: number[]
  statusPorts: number[]
  /** Directory for the data planes' cache files (`dp1-config.json`, …). */
  cacheDir: string
  /** KONG_LOG_LEVEL of every process. */
  logLevel: string
  /** Where the formatted, tagged log lines go (stdout by default). */
  output?: (line: string) => void
  color?: boolean
  readyTimeoutMs?: number
  /** A process exited while the cluster was not stopping. */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void
}

export interface NodeInfo {
  name: string
  pid: number
}

export interface ControlPlaneInfo extends NodeInfo {
  admin: string
  cluster: string
}

export interface DataPlaneInfo extends NodeInfo {
  proxy: string
  status: string
}

export interface NodeStatus {
  config_version: number
  config_hash: string
}

export interface LocalCluster {
  controlPlane: ControlPlaneInfo
  dataPlanes: DataPlaneInfo[]
  /** GET /status of the control plane (cluster listener) and of every data plane. */
  statuses(): Promise<{ controlPlane: NodeStatus; dataPlanes: NodeStatus[] }>
  /** SIGTERM the data planes, then the control plane; SIGKILL whoever outstays the grace. */
  stop(): Promise<void>
  /** Synchronous SIGKILL of every process, for `process.on('exit')`. */
  killNow(): void
}

/** `count` ports from `base` in steps of `step`: 8000, 8010, 8020… */
export function portSeries(base: number, step: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i * step)
}

/** Ports the OS reports free right now (bound together, then released). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((ok, fail) => {
          const s = net.createServer()
          s.once('error', fail)
          s.listen(0, host, () => ok(s))
        })
    )
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))))
  return ports
}

/** Fails with a readable message when nothing accepts TCP connections at the Redis URL. */
export function checkRedis(redisUrl: string, timeoutMs = 2000): Promise<void> {
  const url = new URL(redisUrl)
  const port = Number(url.port || 6379)
  const host = url.hostname || '127.0.0.1'
  return new Promise((ok, fail) => {
    const socket = net.connect({ host, port, timeout: timeoutMs })
    const failWith = (why: string) => {
      socket.destroy()
      fail(new Error(`Redis is not reachable at ${host}:${port} (${why}); \`npm run services\` starts the local one`))
    }
    socket.once('connect', () => {
      socket.end()
      ok()
    })
    socket.once('timeout', () => failWith('timeout'))
    socket.once('error', (err) => failWith(err.message))
  })
}

const statusAgent = new http.Agent({ keepAlive: true })

/** GET a JSON document (keep-alive by default); rejects on non-2xx. */
export function getJson<T>(url: string, timeoutMs = 2000, agent: http.Agent = statusAgent): Promise<T> {
  return new Promise((ok, fail) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 0) >= 300) return fail(new Error(`GET ${url}: ${res.statusCode} ${text}`))
        try {
          ok(JSON.parse(text) as T)
        } catch (err) {
          fail(err)
        }
      })
      res.on('error', fail)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)))
    req.on('error', fail)
  })
}

/** Every process any startLocalCluster() in this process started, for last-resort cleanup. */
const started = new Set<ChildProcess>()

/** Synchronous SIGKILL of every process still running that this module started. */
export function killAllStarted(): void {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

interface Managed {
  name: string
  child: ChildProcess
  /** Last lines of output, quoted when the process dies during start-up. */
  tail: string[]
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((ok) => child.once('exit', () => ok()))
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited(child)
  clearTimeout(timer)
}

/** Starts the control plane, waits for it, then the data planes, and waits for them. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const count = options.proxyPorts.length
  if (count !== options.statusPorts.length) throw new Error('proxyPorts and statusPorts differ in length')
  const output = options.output ?? ((line: string) => process.stdout.write(line + '\n'))
  const color = options.color ?? useColor()
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000
  const names = ['cp', ...options.proxyPorts.map((_, i) => `dp${i + 1}`)]
  const width = Math.max(...names.map((n) => n.length))
  const managed: Managed[] = []
  let stopping = false
  mkdirSync(options.cacheDir, { recursive: true })

  // The parent's environment minus what each role is told explicitly, so a stray KONG_PG_HOST
  // or DATABASE_URL in the shell cannot send a data plane to a database.
  const base: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(base)) if (k.startsWith('KONG_') || k === 'DATABASE_URL') delete base[k]
  const common = {
    ...base,
    REDIS_URL: options.redisUrl,
    SWITCHYARD_CLUSTER_TOKEN: options.clusterToken,
    KONG_LOG_LEVEL: options.logLevel,
    // Every listener is on this machine's loopback; a real deployment sets KONG_CLUSTER_CERT.
    SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on',
  }

  function launch(name: string, script: string, env: NodeJS.ProcessEnv): Managed {
    // Own process group: a terminal Ctrl-C reaches only us, so the stop order stays ours.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    started.add(child)
    child.once('exit', () => started.delete(child))
    const m: Managed = { name, child, tail: [] }
    const tagger = createTagger(name, names.indexOf(name), width, color)
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        m.tail.push(line)
        if (m.tail.length > 20) m.tail.shift()
        output(tagger.format(line))
      })
    }
    child.once('exit', (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(name, code, signal)
    })
    managed.push(m)
    return m
  }

  const killNow = () => {
    stopping = true
    for (const { child } of managed) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  }

  /** Polls `url` until `ready(body)` holds; fails when the process dies or time runs out. */
  async function waitReady(m: Managed, url: string, ready: (body: Record<string, unknown>) => boolean) {
    const deadline = Date.now() + readyTimeoutMs
    let last = ''
    while (Date.now() < deadline) {
      if (m.child.exitCode !== null || m.child.signalCode !== null) {
        throw new Error(`${m.name} exited during start-up (${m.child.exitCode ?? m.child.signalCode}):\n${m.tail.join('\n')}`)
      }
      try {
        const body = await getJson<Record<string, unknown>>(url, 1000)
        if (ready(body)) return
        last = JSON.stringify(body)
      } catch (err) {
        last = (err as Error).message
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`${m.name} not ready after ${readyTimeoutMs} ms (${url}: ${last})`)
  }

  const h = options.host
  const controlPlane: ControlPlaneInfo = {
    name: 'cp',
    pid: 0,
    admin: `http://${h}:${options.adminPort}`,
    cluster: `http://${h}:${options.clusterPort}`,
  }
  const dataPlanes: DataPlaneInfo[] = options.proxyPorts.map((port, i) => ({
    name: `dp${i + 1}`,
    pid: 0,
    proxy: `http://${h}:${port}`,
    status: `http://${h}:${options.statusPorts[i]}`,
  }))

  try {
    const cp = launch('cp', CONTROL_PLANE_MAIN, {
      ...common,
      KONG_ROLE: 'control_plane',
      DATABASE_URL: options.databaseUrl,
      KONG_ADMIN_LISTEN: `${h}:${options.adminPort}`,
      KONG_CLUSTER_LISTEN: `${h}:${options.clusterPort}`,
    })
    controlPlane.pid = cp.child.pid ?? 0
    await waitReady(cp, `${controlPlane.cluster}/status`, (b) => typeof b['config_version'] === 'number')

    const dps = dataPlanes.map((dp, i) => {
      const m = launch(dp.name, DATA_PLANE_MAIN, {
        ...common,
        KONG_ROLE: 'data_plane',
        KONG_CLUSTER_CONTROL_PLANE: `${h}:${options.clusterPort}`,
        KONG_PROXY_LISTEN: `${h}:${options.proxyPorts[i]}`,
        KONG_STATUS_LISTEN: `${h}:${options.statusPorts[i]}`,
        SWITCHYARD_CACHE_FILE: resolve(options.cacheDir, `${dp.name}-config.json`),
      })
      dp.pid = m.child.pid ?? 0
      return m
    })
    await Promise.all(
      dps.map((m, i) =>
        waitReady(m, `${dataPlanes[i]!.status}/status`, (b) => {
          const cpOk = (b['control_plane'] as { reachable?: boolean } | undefined)?.reachable === true
          const redisOk = (b['redis'] as { connected?: boolean } | undefined)?.connected === true
          return cpOk && redisOk
        })
      )
    )
  } catch (err) {
    killNow()
    await Promise.all(managed.map((m) => exited(m.child)))
    throw err
  }

  return {
    controlPlane,
    dataPlanes,
    async statuses() {
      const [cp, ...dps] = await Promise.all([
        getJson<NodeStatus>(`${controlPlane.cluster}/status`),
        ...dataPlanes.map((dp) => getJson<NodeStatus>(`${dp.status}/status`)),
      ])
      return { controlPlane: cp!, dataPlanes: dps }
    },
    async stop() {
      stopping = true
      const [cp, ...dps] = managed
      await Promise.all(dps.map((m) => stopProcess(m.child)))
      if (cp) await stopProcess(cp.child)
      statusAgent.destroy()
    },
    killNow,
  }
}

// ---------------------------------------------------------------------------------------------
// The `npm run cluster` command.

const USAGE = `usage: npm run cluster -- [options]

  --data-planes N     number of data planes (3; env SWITCHYARD_DATA_PLANES)
  --host H            interface every listener binds to (127.0.0.1)
  --admin-port P      Admin API port (8001)
  --cluster-port P    cluster endpoints port (8005)
  --proxy-port P      first data plane's proxy port (8000), then +step
  --status-port P     first data plane's status port (8100), then +step
  --port-step S       port distance between data planes (10)
  --cache-dir D       data planes' cache files (./.data/cluster)

env: DATABASE_URL (postgres://postgres@127.0.0.1:5432/switchyard, created when missing),
     REDIS_URL (redis://127.0.0.1:6379), SWITCHYARD_CLUSTER_TOKEN (generated when unset),
     KONG_LOG_LEVEL (info)`

function integer(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${what} must be an integer, got '${value}'`)
  return n
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-planes': { type: 'string' },
      host: { type: 'string' },
      'admin-port': { type: 'string' },
      'cluster-port': { type: 'string' },
      'proxy-port': { type: 'string' },
      'status-port': { type: 'string' },
      'port-step': { type: 'string' },
      'cache-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const env = process.env
  const count = integer(values['data-planes'] ?? env['SWITCHYARD_DATA_PLANES'], 3, '--data-planes')
  if (count < 1) throw new Error('--data-planes must be at least 1')
  const step = integer(values['port-step'], 10, '--port-step')
  const databaseUrl = env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/switchyard'
  const redisUrl = env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
  const generatedToken = !env['SWITCHYARD_CLUSTER_TOKEN']
  const options: LocalClusterOptions = {
    databaseUrl,
    redisUrl,
    clusterToken: env['SWITCHYARD_CLUSTER_TOKEN'] ?? randomBytes(24).toString('base64url'),
    host: values.host ?? '127.0.0.1',
    adminPort: integer(values['admin-port'], 8001, '--admin-port'),
    clusterPort: integer(values['cluster-port'], 8005, '--cluster-port'),
    proxyPorts: portSeries(integer(values['proxy-port'], 8000, '--proxy-port'), step, count),
    statusPorts: portSeries(integer(values['status-port'], 8100, '--status-port'), step, count),
    cacheDir: resolve(values['cache-dir'] ?? join(ROOT, '.data/cluster')),
    logLevel: env['KONG_LOG_LEVEL'] ?? 'info',
  }

  const say = (text: string) => console.log(`[cluster] ${text}`)
  if (ensureDatabase(databaseUrl)) say(`created database ${redact(databaseUrl)}`)
  await checkRedis(redisUrl)

  let cluster: LocalCluster | undefined
  let shuttingDown = false
  const shutdown = async (why: string, code: number) => {
    if (shuttingDown || !cluster) {
      // A second Ctrl-C, or one during start-up: no more waiting.
      killAllStarted()
      process.exit(shuttingDown ? 130 : code)
    }
    shuttingDown = true
    say(`${why}: stopping data planes, then the control plane`)
    await cluster.stop()
    say('stopped')
    process.exit(code)
  }
  options.onUnexpectedExit = (name, code, signal) => {
    // During start-up, startLocalCluster itself fails with the process's last lines.
    if (!cluster) return
    void shutdown(`${name} exited unexpectedly (${signal ?? `code ${code}`})`, 1)
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void shutdown(sig, 0))
  process.on('exit', killAllStarted)

  say(`starting 1 control plane and ${count} data plane${count === 1 ? '' : 's'}`)
  cluster = await startLocalCluster(options)
  const rows = [
    ['cp', 'admin', cluster.controlPlane.admin, 'cluster', `${cluster.controlPlane.cluster}/status`],
    ...cluster.dataPlanes.map((dp) => [dp.name, 'proxy', dp.proxy, 'status', `${dp.status}/status`]),
  ]
  const w = [4, 6, Math.max(...rows.map((r) => r[2]!.length)) + 2, 8]
  const summary = [
    '',
    `Switchyard cluster is up: 1 control plane, ${count} data plane${count === 1 ? '' : 's'}`,
    ...rows.map((r) => '  ' + r.map((c, i) => (i < w.length ? c.padEnd(w[i]!) : c)).join('')),
    `  postgres ${redact(databaseUrl)}   redis ${redisUrl}`,
    `  cluster token: ${generatedToken ? 'generated for this run (set SWITCHYARD_CLUSTER_TOKEN to choose one)' : 'from SWITCHYARD_CLUSTER_TOKEN'}`,
    `  convergence: every /status above reports the same config_version and config_hash`,
    '  Ctrl-C stops the cluster.',
    '',
  ]
  console.log(summary.join('\n'))
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`[cluster] ${(err as Error).message}`)
    process.exit(1)
  })
}
