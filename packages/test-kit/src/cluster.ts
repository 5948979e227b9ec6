// A whole cluster for end-to-end tests: a private redis-server, a fresh Postgres database, one
// control plane and N data planes, each a real process on loopback. `cleanup()` kills every
// process (SIGKILL), drops the database and removes the cache files; call it from `after()`
// so a failing test leaves nothing behind.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from './postgres.js'
import {
  ControlPlaneProcess,
  DataPlaneProcess,
  RedisServerProcess,
  waitFor,
  type CertFiles,
  type ConfigStatus,
  type DataPlaneStatus,
} from './processes.js'

export interface AdminResponse<T = Record<string, unknown>> {
  status: number
  body: T
}

/** A minimal Admin API client: JSON in, JSON out, never throws on a status. */
export class AdminClient {
  constructor(readonly baseUrl: string) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text === '' ? {} : JSON.parse(text)
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: res.status, body: parsed as T }
  }

  /** Like request, but throws unless the answer is 2xx. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, path, body)
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`)
    }
    return r.body
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; resolves when all did. */
export async function runBounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

export class TestCluster {
  readonly token = randomBytes(16).toString('hex')
  readonly dataPlanes: DataPlaneProcess[] = []
  /** Every process ever started here, restarts included, so cleanup misses none. */
  private readonly started: { kill(): Promise<void> }[] = []
  db: TestDatabase | undefined
  redis: RedisServerProcess | undefined
  cp: ControlPlaneProcess | undefined
  readonly dir: string
  private dpCount = 0

  constructor(
    readonly name = 'cluster',
    /**
     * `proxyTls`: data planes also get a TLS proxy listener (DataPlaneProcess.opts.sslPort).
     * `clusterTls`: the shared cluster certificate for every node; plain HTTP without.
     */
    private readonly options: { proxyTls?: boolean; clusterTls?: CertFiles } = {}
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `switchyard-${name}-`))
  }

  /** Redis, database, control plane and `dataPlanes` data planes. */
  async start(dataPlanes: number): Promise<void> {
    await this.startControl()
    await Promise.all(Array.from({ length: dataPlanes }, () => this.addDataPlane()))
  }

  /** Redis, database and control plane (no data planes yet). */
  async startControl(): Promise<void> {
    const [db, redis] = await Promise.all([createTestDatabase(), RedisServerProcess.start()])
    this.db = db
    this.redis = redis
    this.started.push(redis)
    this.cp = await ControlPlaneProcess.start({
      name: `${this.name}/cp`,
      databaseUrl: db.url,
      redisUrl: redis.url,
      token: this.token,
      tls: this.options.clusterTls,
    })
    this.started.push(this.cp)
  }

  get admin(): AdminClient {
    return new AdminClient(this.control.adminUrl)
  }

  get control(): ControlPlaneProcess {
    if (!this.cp) throw new Error('control plane not started')
    return this.cp
  }

  get redisServer(): RedisServerProcess {
    if (!this.redis) throw new Error('redis not started')
    return this.redis
  }

  /** Starts one more data plane against this cluster's control plane and Redis. */
  async addDataPlane(): Promise<DataPlaneProcess> {
    const n = ++this.dpCount
    const dp = await DataPlaneProcess.start({
      name: `${this.name}/dp${n}`,
      controlPlane: this.control.clusterAddress,
      redisUrl: this.redisServer.url,
      token: this.token,
      tls: this.options.clusterTls,
      cacheFile: join(this.dir, `dp${n}`, 'config-cache.json'),
      ...(this.options.proxyTls ? { sslPort: 0 } : {}),
    })
    this.started.push(dp)
    this.dataPlanes[n - 1] = dp
    return dp
  }

  /** Restarts a (killed or stopped) data plane with the same ports and cache file. */
  async restartDataPlane(dp: DataPlaneProcess): Promise<DataPlaneProcess> {
    const fresh = await dp.restart()
    this.started.push(fresh)
    const i = this.dataPlanes.indexOf(dp)
    if (i >= 0) this.dataPlanes[i] = fresh
    return fresh
  }

  /** Restarts the (killed or stopped) control plane on the same ports, optionally on another database. */
  async restartControlPlane(opts: { databaseUrl?: string } = {}): Promise<ControlPlaneProcess> {
    this.cp = await ControlPlaneProcess.start({ ...this.control.opts, ...opts })
    this.started.push(this.cp)
    return this.cp
  }

  async restartRedis(): Promise<RedisServerProcess> {
    this.redis = await this.redisServer.restart()
    this.started.push(this.redis)
    return this.redis
  }

  /** Every data plane's status next to the control plane's, for failure messages. */
  async describe(dps: DataPlaneProcess[] = this.dataPlanes): Promise<string> {
    const show = async (name: string, p: Promise<unknown>) => {
      try {
        return `${name}: ${JSON.stringify(await p)}`
      } catch (err) {
        return `${name}: ${(err as Error).message}`
      }
    }
    const lines = await Promise.all([
      show('control plane', this.control.status()),
      ...dps.map((dp) => show(dp.name, dp.status())),
    ])
    return lines.join('\n')
  }

  /**
   * True when every data plane reports the control plane's version and hash. The control
   * plane is asked first, so with writes still running a lagging data plane reads as behind.
   */
  async isConverged(dps: DataPlaneProcess[] = this.dataPlanes): Promise<false | ConfigStatus> {
    const want = await this.control.status()
    const got = await Promise.all(dps.map((dp) => dp.status()))
    const same = (s: DataPlaneStatus) => s.config_version === want.config_version && s.config_hash === want.config_hash
    return got.every(same) ? want : false
  }

  waitForConvergence(timeoutMs: number, dps: DataPlaneProcess[] = this.dataPlanes): Promise<ConfigStatus> {
    return waitFor('data planes to converge on the control plane', () => this.isConverged(dps), timeoutMs, {
      describe: () => this.describe(dps),
    })
  }

  /** SIGKILLs every process, drops the database, removes cache files. Safe to call twice. */
  async cleanup(): Promise<void> {
    await Promise.all(this.started.map((p) => p.kill().catch(() => {})))
    if (this.db) await this.db.drop().catch(() => {})
    this.db = undefined
    rmSync(this.dir, { recursive: true, force: true })
  }
}
