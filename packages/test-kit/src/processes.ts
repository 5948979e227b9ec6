// Real child processes for end-to-end cluster tests: a control plane, data planes and a
// private redis-server, each on free loopback ports. Every child's output is kept so a failed
// wait can say what the process printed; every child is registered so `killAll()` (call it in
// `after()`) and, as a last resort, the test process's exit take them down.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'

/** The repository root: the apps are started from here, as `npm start` would. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

const OUTPUT_LINES_KEPT = 400

/** Every child still running, so nothing outlives the test file. */
const live = new Set<ChildProcess>()
function killLive(): void {
  for (const c of live) c.kill('SIGKILL')
}
process.once('exit', killLive)
// A test run cancelled with a signal does not emit 'exit': take the children down, then die
// of the same signal.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killLive()
    process.kill(process.pid, signal)
  })
}

// Ports for child processes come from below the kernel's ephemeral range (32768–60999 here):
// a port picked from that range and released can be taken by any outgoing connection before the
// child binds it. Picks are random so parallel test files rarely try the same one.
const CHILD_PORT_MIN = 20000
const CHILD_PORT_MAX = 32767

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/** A port nobody listens on right now, outside the ephemeral range, for a child process to bind. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = CHILD_PORT_MIN + Math.floor(Math.random() * (CHILD_PORT_MAX - CHILD_PORT_MIN))
    if (await tryListen(port)) return port
  }
  throw new Error(`no free port between ${CHILD_PORT_MIN} and ${CHILD_PORT_MAX}`)
}

export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

export interface WaitOptions {
  /** Poll interval; 20 ms by default. */
  intervalMs?: number
  /** Describes the state on timeout, e.g. the statuses seen last. */
  describe?: () => string | Promise<string>
}

/**
 * Polls `predicate` until it returns a truthy value (which is returned) or `timeoutMs` passes.
 * A predicate that throws counts as "not yet"; its last error is part of the timeout message.
 */
export async function waitFor<T>(
  what: string,
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  opts: WaitOptions = {}
): Promise<Truthy<T>> {
  const interval = opts.intervalMs ?? 20
  const deadline = performance.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await predicate()
      if (value) return value as Truthy<T>
      lastError = undefined
    } catch (err) {
      lastError = err
    }
    if (performance.now() >= deadline) break
    await sleep(interval)
  }
  const detail = opts.describe ? await Promise.resolve(opts.describe()).catch((e: unknown) => String(e)) : ''
  const cause = lastError ? ` (last error: ${(lastError as Error).message ?? String(lastError)})` : ''
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail ? `\n${detail}` : ''}`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One JSON log line of a child (non-JSON lines are kept as `{ msg: line }`). */
export type LogLine = Record<string, unknown> & { msg?: string }

/** A child process with its captured output. */
export class ChildHandle {
  readonly lines: LogLine[] = []
  private readonly tail: string[] = []
  private readonly lineWaiters = new Set<() => void>()
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined

  constructor(
    readonly name: string,
    readonly child: ChildProcess
  ) {
    live.add(child)
    const onData = (stream: string) => {
      let partial = ''
      return (chunk: Buffer) => {
        partial += chunk.toString('utf8')
        const parts = partial.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) if (line.trim() !== '') this.addLine(stream, line)
      }
    }
    child.stdout?.on('data', onData('out'))
    child.stderr?.on('data', onData('err'))
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child)
        this.exitInfo = { code, signal }
        this.addLine('exit', `process exited (code ${code}, signal ${signal})`)
        resolve(this.exitInfo)
      })
    })
  }

  private addLine(stream: string, line: string): void {
    this.tail.push(`${stream}| ${line}`)
    if (this.tail.length > OUTPUT_LINES_KEPT) this.tail.shift()
    let parsed: LogLine
    try {
      const v = JSON.parse(line) as unknown
      parsed = typeof v === 'object' && v !== null ? (v as LogLine) : { msg: line }
    } catch {
      parsed = { msg: line }
    }
    this.lines.push(parsed)
    for (const w of this.lineWaiters) w()
  }

  get running(): boolean {
    return this.exitInfo === undefined
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** The last lines the process printed, prefixed with its name, for failure messages. */
  output(lastLines = 60): string {
    return `--- ${this.name} (pid ${this.pid}) last output ---\n${this.tail.slice(-lastLines).join('\n')}`
  }

  /** The first log line (already printed or still to come) whose msg matches. */
  waitForLine(match: string | RegExp, timeoutMs: number): Promise<LogLine> {
    const test = (l: LogLine) =>
      typeof l.msg === 'string' && (typeof match === 'string' ? l.msg.includes(match) : match.test(l.msg))
    const seen = this.lines.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      let checked = this.lines.length
      const done = () => {
        clearTimeout(timer)
        this.lineWaiters.delete(check)
      }
      const check = () => {
        for (; checked < this.lines.length; checked++) {
          const l = this.lines[checked]!
          if (test(l)) {
            done()
            resolve(l)
            return
          }
        }
        if (!this.running) {
          done()
          reject(new Error(`${this.name} exited before logging ${String(match)}\n${this.output()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name} did not log ${String(match)} within ${timeoutMs} ms\n${this.output()}`))
      }, timeoutMs)
      this.lineWaiters.add(check)
      check()
    })
  }

  /** SIGKILL: the crash case. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM (graceful), then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}

/** Environment for a child: ours, minus anything that would configure the app behind our back. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(KONG_|SWITCHYARD_|DATABASE_URL$|REDIS_URL$|NODE_TEST_CONTEXT$|NODE_OPTIONS$)/.test(k)) continue
    env[k] = v
  }
  return { ...env, ...extra }
}

/** Starts `node --import tsx <script>` from the repository root. */
export function spawnNode(name: string, script: string, env: Record<string, string>): ChildHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new ChildHandle(name, child)
}

/** A certificate and key as files, e.g. the shared cluster certificate. */
export interface CertFiles {
  certFile: string
  keyFile: string
}

/** GET over HTTPS trusting exactly `ca` (a self-signed cluster certificate), any host name. */
function getHttps(url: string, ca: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: [ca], checkServerIdentity: () => undefined, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
  })
}

/** GET a JSON document with a short timeout (HTTPS trusting `ca` when given). */
export async function getJson<T = Record<string, unknown>>(url: string, timeoutMs = 1000, ca?: string): Promise<T> {
  if (ca) {
    const r = await getHttps(url, ca, timeoutMs)
    if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}`)
    return JSON.parse(r.body) as T
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (res.status !== 200) {
    await res.body?.cancel()
    throw new Error(`GET ${url} answered ${res.status}`)
  }
  return (await res.json()) as T
}

export interface ConfigStatus {
  config_version: number
  config_hash: string
  /** The cluster epoch (absent on a data plane that booted from an old cache file). */
  config_epoch?: string
}

export interface DataPlaneStatus extends ConfigStatus {
  redis: { connected: boolean }
  control_plane: { reachable: boolean }
}

const START_TIMEOUT_MS = 20_000

/** Waits for the started line and a 200 from /status; kills the child when it never gets there. */
async function ready(proc: ChildHandle, line: string, status: () => Promise<unknown>): Promise<void> {
  try {
    await proc.waitForLine(line, START_TIMEOUT_MS)
  } catch (err) {
    await proc.kill()
    throw err
  }
  try {
    await waitFor(`${proc.name} /status`, status, 5000)
  } catch (err) {
    await proc.kill()
    throw new Error(`${(err as Error).message}\n${proc.output()}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Control plane

export interface ControlPlaneOptions {
  name?: string
  databaseUrl: string
  redisUrl: string
  token: string
  /** Reuse ports (a restart); free ports by default. */
  adminPort?: number
  clusterPort?: number
  logLevel?: string
  /** The shared cluster certificate; plain HTTP (SWITCHYARD_CLUSTER_PLAIN_HTTP=on) without. */
  tls?: CertFiles | undefined
  /** More environment, e.g. KONG_PG_* settings. */
  env?: Record<string, string>
}

function tlsEnv(tls: CertFiles | undefined): Record<string, string> {
  return tls
    ? { KONG_CLUSTER_CERT: tls.certFile, KONG_CLUSTER_CERT_KEY: tls.keyFile }
    : { SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on' }
}

export class ControlPlaneProcess {
  private constructor(
    readonly opts: Required<Omit<ControlPlaneOptions, 'logLevel' | 'tls' | 'env'>> & {
      logLevel: string
      tls: CertFiles | undefined
      env: Record<string, string>
    },
    readonly proc: ChildHandle
  ) {}

  static async start(opts: ControlPlaneOptions): Promise<ControlPlaneProcess> {
    // As for data planes: ports picked here may be taken before the child binds them.
    const picked = opts.adminPort === undefined && opts.clusterPort === undefined
    for (let attempt = 1; ; attempt++) {
      try {
        return await ControlPlaneProcess.startOnce(opts)
      } catch (err) {
        if (!picked || attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err
      }
    }
  }

  private static async startOnce(opts: ControlPlaneOptions): Promise<ControlPlaneProcess> {
    const full = {
      name: opts.name ?? 'control-plane',
      databaseUrl: opts.databaseUrl,
      redisUrl: opts.redisUrl,
      token: opts.token,
      adminPort: opts.adminPort ?? (await freePort()),
      clusterPort: opts.clusterPort ?? (await freePort()),
      logLevel: opts.logLevel ?? 'info',
      tls: opts.tls,
      env: opts.env ?? {},
    }
    const proc = spawnNode(full.name, 'apps/control-plane/src/main.ts', {
      ...tlsEnv(full.tls),
      ...full.env,
      KONG_ROLE: 'control_plane',
      DATABASE_URL: full.databaseUrl,
      REDIS_URL: full.redisUrl,
      SWITCHYARD_CLUSTER_TOKEN: full.token,
      KONG_ADMIN_LISTEN: `127.0.0.1:${full.adminPort}`,
      KONG_CLUSTER_LISTEN: `127.0.0.1:${full.clusterPort}`,
      KONG_LOG_LEVEL: full.logLevel,
    })
    const cp = new ControlPlaneProcess(full, proc)
    await ready(proc, 'control plane started', () => cp.status())
    return cp
  }

  /** The same database and ports, as a fresh process (after kill/stop). */
  restart(): Promise<ControlPlaneProcess> {
    return ControlPlaneProcess.start(this.opts)
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.opts.adminPort}`
  }

  get clusterUrl(): string {
    return `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${this.opts.clusterPort}`
  }

  /** `host:port` of the cluster endpoints, as KONG_CLUSTER_CONTROL_PLANE wants it. */
  get clusterAddress(): string {
    return `127.0.0.1:${this.opts.clusterPort}`
  }

  status(): Promise<ConfigStatus> {
    const ca = this.opts.tls ? readFileSync(this.opts.tls.certFile, 'utf8') : undefined
    return getJson<ConfigStatus>(`${this.clusterUrl}/status`, 1000, ca)
  }

  kill(): Promise<void> {
    return this.proc.kill()
  }

  stop(): Promise<void> {
    return this.proc.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// Data plane

export interface DataPlaneOptions {
  name?: string
  controlPlane: string
  redisUrl: string
  token: string
  cacheFile: string
  proxyPort?: number
  statusPort?: number
  /** Also a TLS proxy listener (`KONG_PROXY_LISTEN … ssl`) on this port; 0 picks a free one. */
  sslPort?: number
  logLevel?: string
  /** The shared cluster certificate; plain HTTP (SWITCHYARD_CLUSTER_PLAIN_HTTP=on) without. */
  tls?: CertFiles | undefined
  /** More environment. */
  env?: Record<string, string>
}

export class DataPlaneProcess {
  private constructor(
    readonly opts: Required<Omit<DataPlaneOptions, 'logLevel' | 'sslPort' | 'tls' | 'env'>> & {
      logLevel: string
      sslPort: number | undefined
      tls: CertFiles | undefined
      env: Record<string, string>
    },
    readonly proc: ChildHandle
  ) {}

  static async start(opts: DataPlaneOptions): Promise<DataPlaneProcess> {
    // Ports picked here can be taken by another test file's process before the child binds
    // them: pick again then. Ports the caller gave (a restart) are not changed.
    const picked = opts.proxyPort === undefined && opts.statusPort === undefined && (opts.sslPort === undefined || opts.sslPort === 0)
    for (let attempt = 1; ; attempt++) {
      try {
        return await DataPlaneProcess.startOnce(opts)
      } catch (err) {
        if (!picked || attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err
      }
    }
  }

  private static async startOnce(opts: DataPlaneOptions): Promise<DataPlaneProcess> {
    const full = {
      name: opts.name ?? 'data-plane',
      controlPlane: opts.controlPlane,
      redisUrl: opts.redisUrl,
      token: opts.token,
      cacheFile: opts.cacheFile,
      proxyPort: opts.proxyPort ?? (await freePort()),
      statusPort: opts.statusPort ?? (await freePort()),
      sslPort: opts.sslPort === 0 ? await freePort() : opts.sslPort,
      logLevel: opts.logLevel ?? 'info',
      tls: opts.tls,
      env: opts.env ?? {},
    }
    const ssl = full.sslPort === undefined ? '' : `, 127.0.0.1:${full.sslPort} ssl`
    const proc = spawnNode(full.name, 'apps/data-plane/src/main.ts', {
      ...tlsEnv(full.tls),
      ...full.env,
      KONG_ROLE: 'data_plane',
      KONG_CLUSTER_CONTROL_PLANE: full.controlPlane,
      REDIS_URL: full.redisUrl,
      SWITCHYARD_CLUSTER_TOKEN: full.token,
      KONG_PROXY_LISTEN: `127.0.0.1:${full.proxyPort}${ssl}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${full.statusPort}`,
      SWITCHYARD_CACHE_FILE: full.cacheFile,
      KONG_LOG_LEVEL: full.logLevel,
    })
    const dp = new DataPlaneProcess(full, proc)
    await ready(proc, 'data plane started', () => dp.status())
    return dp
  }

  restart(): Promise<DataPlaneProcess> {
    return DataPlaneProcess.start(this.opts)
  }

  get name(): string {
    return this.opts.name
  }

  get proxyUrl(): string {
    return `http://127.0.0.1:${this.opts.proxyPort}`
  }

  get statusUrl(): string {
    return `http://127.0.0.1:${this.opts.statusPort}`
  }

  status(): Promise<DataPlaneStatus> {
    return getJson<DataPlaneStatus>(`${this.statusUrl}/status`)
  }

  kill(): Promise<void> {
    return this.proc.kill()
  }

  stop(): Promise<void> {
    return this.proc.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// A private redis-server, so a test can really kill and restart it without touching the
// machine's shared Redis, and so forged messages reach only this test's data planes.

export function redisServerBinary(): string {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (found.error || found.status !== 0) {
    throw new Error(
      'redis-server is required for the cluster fault tests and was not found on PATH ' +
        '(run scripts/services.sh or install the redis-server package)'
    )
  }
  return 'redis-server'
}

export class RedisServerProcess {
  private constructor(
    readonly port: number,
    readonly proc: ChildHandle
  ) {}

  /** `extraArgs` go on the command line, e.g. `['--replicaof', '127.0.0.1', '6379']`. */
  static async start(port?: number, extraArgs: string[] = []): Promise<RedisServerProcess> {
    const bin = redisServerBinary()
    const p = port ?? (await freePort())
    const child = spawn(
      bin,
      ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...extraArgs],
      // Nothing is persisted; the directory only matters if someone asks it to save.
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() }
    )
    const proc = new ChildHandle(`redis-server:${p}`, child)
    const server = new RedisServerProcess(p, proc)
    try {
      await waitFor(`redis-server on port ${p}`, async () => {
        if (!proc.running) throw new Error('redis-server exited')
        return (await server.command('PING')) === 'PONG'
      }, 5000)
    } catch (err) {
      await proc.kill()
      throw new Error(`${(err as Error).message}\n${proc.output()}`)
    }
    return server
  }

  /** A fresh server on the same port (after kill). */
  restart(): Promise<RedisServerProcess> {
    return RedisServerProcess.start(this.port)
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /**
   * Sends one command over a fresh connection (RESP) and returns the first reply line's
   * payload: `PONG`, `OK`, an integer as text, or a bulk string's content.
   */
  command(...args: string[]): Promise<string> {
    return redisCommand(this.port, args)
  }

  kill(): Promise<void> {
    return this.proc.kill()
  }
}

/** One Redis command on a short-lived connection; rejects on an error reply. */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`redis ${args[0]} timed out`))
    }, timeoutMs)
    let buf = ''
    const finish = (err: Error | undefined, value?: string) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(value ?? '')
    }
    socket.once('error', (err) => finish(err))
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      const nl = buf.indexOf('\r\n')
      if (nl === -1) return
      const head = buf.slice(0, nl)
      const kind = head[0]
      if (kind === '-') return finish(new Error(head.slice(1)))
      if (kind === '+' || kind === ':') return finish(undefined, head.slice(1))
      if (kind === '$') {
        const len = Number(head.slice(1))
        if (len < 0) return finish(undefined, '')
        const body = Buffer.from(buf.slice(nl + 2), 'utf8')
        if (body.length >= len + 2) finish(undefined, body.subarray(0, len).toString('utf8'))
        return
      }
      finish(undefined, head)
    })
    const payload = [`*${args.length}\r\n`]
    for (const a of args) payload.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`)
    socket.write(payload.join(''))
  })
}
