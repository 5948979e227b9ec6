// Shared pieces of the cluster fault tests: a proxied route over real upstream servers,
// a background Admin API writer that can be started and stopped around a fault, and a
// plain keep-alive HTTP client for proxy requests.

import http from 'node:http'
import { join } from 'node:path'
import { DataPlaneProcess, sleep, waitFor, type AdminClient, type UpstreamServer } from '@switchyard/test-kit'

/** `count` data-plane processes named `<prefix>/dp1`…, following one control plane, each with its cache file under `dir`. */
export async function startDataPlanes(
  prefix: string,
  count: number,
  opts: { controlPlane: string; redisUrl: string; token: string; dir: string }
): Promise<DataPlaneProcess[]> {
  const dps: DataPlaneProcess[] = []
  for (let i = 1; i <= count; i++) {
    dps.push(
      await DataPlaneProcess.start({
        name: `${prefix}/dp${i}`,
        controlPlane: opts.controlPlane,
        redisUrl: opts.redisUrl,
        token: opts.token,
        cacheFile: join(opts.dir, `dp${i}`, 'cache.json'),
      })
    )
  }
  return dps
}

/** An upstream with the given servers as targets, a service pointing at it and a route. */
export async function proxiedRoute(
  admin: AdminClient,
  name: string,
  servers: UpstreamServer[]
): Promise<{ path: string; upstream: string; targetIds: string[]; serviceId: string }> {
  await admin.ok('POST', '/upstreams', { name })
  const targetIds: string[] = []
  for (const s of servers) {
    const t = await admin.ok<{ id: string }>('POST', `/upstreams/${name}/targets`, { target: s.address, weight: 100 })
    targetIds.push(t.id)
  }
  // No retries: a request that reaches a wrong or dead target must show up as a failure.
  const svc = await admin.ok<{ id: string }>('POST', '/services', { name: `${name}-svc`, host: name, port: 80, retries: 0 })
  await admin.ok('POST', `/services/${svc.id}/routes`, { paths: [`/${name}`] })
  return { path: `/${name}`, upstream: name, targetIds, serviceId: svc.id }
}

export interface ProxyResult {
  status: number
  /** The `x-upstream` header the test upstream servers set: which server answered. */
  upstream: string | undefined
  body: string
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/** Writers and loads not yet stopped, so `stopBackgroundWork()` in `after()` ends them even when a test failed. */
const writers = new Set<BackgroundWriter>()

/** Stops every background writer and drops idle keep-alive sockets: nothing keeps the test alive. */
export async function stopBackgroundWork(): Promise<void> {
  await Promise.all([...writers].map((w) => w.stop()))
  await Promise.all([...loads].map((l) => l.stop()))
  await Promise.all([...upstreamWriters].map((w) => w.stop()))
  agent.destroy()
}

/** One GET through a proxy; rejects on connection errors. */
export function proxyGet(baseUrl: string, path: string, a: http.Agent = agent): Promise<ProxyResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { agent: a, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          upstream: res.headers['x-upstream'] as string | undefined,
          body: Buffer.concat(chunks).toString('utf8'),
        })
      )
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('proxy request timed out')))
    req.on('error', reject)
  })
}

/** `n` sequential GETs; returns how many each upstream server answered, and the failures. */
export async function proxyMany(
  baseUrl: string,
  path: string,
  n: number
): Promise<{ byUpstream: Record<string, number>; failures: string[] }> {
  const byUpstream: Record<string, number> = {}
  const failures: string[] = []
  for (let i = 0; i < n; i++) {
    try {
      const r = await proxyGet(baseUrl, path)
      if (r.status !== 200) failures.push(`status ${r.status}: ${r.body.slice(0, 200)}`)
      else byUpstream[r.upstream ?? '?'] = (byUpstream[r.upstream ?? '?'] ?? 0) + 1
    } catch (err) {
      failures.push((err as Error).message)
    }
  }
  return { byUpstream, failures }
}

/**
 * Admin writes in the background, `concurrency` in flight, until stopped: each slot creates a
 * target on its own scratch upstream, changes its weight twice and deletes it, over and over.
 * Every answer that is not 2xx (or a request that fails outright) is recorded.
 */
export class BackgroundWriter {
  count = 0
  readonly failures: string[] = []
  private running = false
  private loops: Promise<void>[] = []
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly admin: AdminClient,
    private readonly name: string,
    private readonly concurrency = 5
  ) {}

  async start(): Promise<void> {
    await this.admin.ok('POST', '/upstreams', { name: this.name })
    this.running = true
    writers.add(this)
    this.loops = Array.from({ length: this.concurrency }, (_, slot) => this.loop(slot))
  }

  private async write(method: string, path: string, body?: unknown): Promise<string | undefined> {
    try {
      const r = await this.admin.request<{ id?: string }>(method, path, body)
      if (r.status < 200 || r.status > 299) this.failures.push(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.id
    } catch (err) {
      this.failures.push(`${method} ${path}: ${(err as Error).message}`)
      return undefined
    } finally {
      this.count++
      for (const l of this.listeners) l()
    }
  }

  private async loop(slot: number): Promise<void> {
    // Each slot has its own port range, so no two slots ever touch the same target.
    let port = 10000 + slot * 5000
    while (this.running) {
      const base = `/upstreams/${this.name}/targets`
      const id = await this.write('POST', base, { target: `127.0.0.1:${port++}`, weight: 10 })
      if (!id) {
        // The control plane is not answering: back off instead of spinning.
        await sleep(100)
        continue
      }
      if (this.running) await this.write('PATCH', `${base}/${id}`, { weight: 20 + slot })
      if (this.running) await this.write('PATCH', `${base}/${id}`, { weight: 30 + slot })
      await this.write('DELETE', `${base}/${id}`)
    }
  }

  /** Resolves once `n` more writes have been answered (or failed). */
  waitForWrites(n: number): Promise<void> {
    const target = this.count + n
    return new Promise((resolve) => {
      const check = () => {
        if (this.count >= target) {
          this.listeners.delete(check)
          resolve()
        }
      }
      this.listeners.add(check)
      check()
    })
  }

  /** Stops after the writes in flight; resolves when they are answered. */
  async stop(): Promise<void> {
    this.running = false
    writers.delete(this)
    await Promise.all(this.loops)
  }
}

/**
 * Bounded proxy load until stopped: `clients` loops, each one request at a time over its own
 * keep-alive connection. Counts answers by status and upstream server, and connection errors.
 */
export class ProxyLoad {
  total = 0
  readonly statuses: Record<number, number> = {}
  readonly byUpstream: Record<string, number> = {}
  /** Connection errors (refused, reset, timeout), and the first few messages. */
  errorCount = 0
  readonly errors: string[] = []
  readonly badAnswers: string[] = []
  private running = false
  private loops: Promise<void>[] = []
  private readonly agent: http.Agent

  constructor(
    private readonly baseUrl: string,
    private readonly path: string,
    private readonly clients = 20
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: clients })
  }

  start(): this {
    this.running = true
    loads.add(this)
    this.loops = Array.from({ length: this.clients }, () => this.loop())
    return this
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const r = await proxyGet(this.baseUrl, this.path, this.agent)
        this.total++
        this.statuses[r.status] = (this.statuses[r.status] ?? 0) + 1
        if (r.status >= 200 && r.status <= 299) {
          const u = r.upstream ?? '?'
          this.byUpstream[u] = (this.byUpstream[u] ?? 0) + 1
        } else if (this.badAnswers.length < 20) {
          this.badAnswers.push(`${r.status} ${r.body.slice(0, 200)}`)
        }
      } catch (err) {
        this.total++
        this.errorCount++
        if (this.errors.length < 20) this.errors.push((err as Error).message)
      }
    }
  }

  get failed(): number {
    return this.errorCount + Object.entries(this.statuses).reduce((n, [s, c]) => (Number(s) >= 300 ? n + c : n), 0)
  }

  async stop(): Promise<void> {
    this.running = false
    loads.delete(this)
    await Promise.all(this.loops)
    this.agent.destroy()
  }
}

const loads = new Set<ProxyLoad>()

/**
 * Upstream creations from `concurrency` loops until stopped; keeps the names answered 2xx, and
 * every other answer with how long it took (a database fault must answer, not hang).
 */
export class UpstreamWriter {
  readonly acked: string[] = []
  failed = 0
  readonly refusals: { status: number; body: unknown; ms: number }[] = []
  private running = false
  private loops: Promise<void>[] = []
  private n = 0

  constructor(
    private readonly admin: () => AdminClient,
    private readonly prefix: string,
    private readonly concurrency = 3
  ) {}

  start(): this {
    this.running = true
    upstreamWriters.add(this)
    this.loops = Array.from({ length: this.concurrency }, () => this.loop())
    return this
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const name = `${this.prefix}-${this.n++}`
      const t0 = performance.now()
      try {
        const r = await this.admin().request('POST', '/upstreams', { name, slots: 100 + (this.n % 50) })
        if (r.status === 201) this.acked.push(name)
        else {
          this.failed++
          if (this.refusals.length < 1000) this.refusals.push({ status: r.status, body: r.body, ms: performance.now() - t0 })
          await sleep(20)
        }
      } catch (err) {
        // No answer at all (connection refused, or the client's 10 s timeout: a hang).
        this.failed++
        if (this.refusals.length < 1000) this.refusals.push({ status: 0, body: (err as Error).message, ms: performance.now() - t0 })
        await sleep(50)
      }
    }
  }

  async writes(n: number): Promise<void> {
    const target = this.acked.length + n
    await waitFor(`${n} acknowledged writes`, () => this.acked.length >= target, 15_000)
  }

  async stop(): Promise<void> {
    this.running = false
    upstreamWriters.delete(this)
    await Promise.all(this.loops)
  }
}

const upstreamWriters = new Set<UpstreamWriter>()
