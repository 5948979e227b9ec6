// The fifty-followers phase of `npm run bench:propagation`: a running cluster (a control plane
// and its real data-plane processes) gets 10,000 targets, then enough in-process followers to
// make 50 in all. Each in-process follower is the data plane's own protocol stack
// (ConfigFollower + ClusterClient + a Redis NoticeSubscriber + the 2 s poll) over a light
// entity map instead of balancers, so one process can hold 47 of them. Measured and printed:
//  - all followers bootstrapping at once (a gap or a new epoch sends everyone to a snapshot):
//    wall time and the control plane's CPU, against one snapshot alone;
//  - a burst of 1,000 target weight changes (several in flight): per write, Admin API 2xx →
//    every follower (real ones by polling /status, in-process ones by their apply times) at
//    that write's version; p50/p99/max;
//  - the control plane's CPU per write in the burst.
// Only prints; no pass/fail on timings.

import {
  ClusterClient,
  ConfigFollower,
  ENTITY_KINDS,
  NoticeSubscriber,
  type ConfigEvent,
  type FollowerTarget,
  type Snapshot,
} from '@switchyard/cluster'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { getJson, type LocalCluster, type NodeStatus } from '../../scripts/cluster.ts'
import { jsonRequest } from './json-request.ts'
import { quantile } from './quantile.ts'

export interface FleetOptions {
  cluster: LocalCluster
  /** The cluster's database: the 10,000 targets are inserted in bulk, then a new epoch announced. */
  databaseUrl: string
  token: string
  redisUrl: string
  followers: number
  targets: number
  burst: number
  /** Admin writes in flight during the burst. */
  concurrency: number
}

const UPSTREAMS = 100
const POLL_MS = 2000

/** A follower's applied versions over time, to tell when it reached a version. */
type Timeline = Array<[at: number, version: number]>

function reachedAt(timeline: Timeline, version: number): number | undefined {
  for (const [at, v] of timeline) if (v >= version) return at
  return undefined
}

/** The entities of one follower, by kind and id: what a data plane holds, without balancers. */
class LightTarget implements FollowerTarget {
  version = 0
  epoch: string | undefined
  private readonly maps = new Map<string, Map<string, unknown>>(ENTITY_KINDS.map((k) => [k, new Map()]))

  loadSnapshot(s: Snapshot): void {
    for (const kind of ENTITY_KINDS) this.maps.set(kind, new Map(s.entities[kind].map((e) => [String(e['id']), e])))
    this.version = s.version
    this.epoch = s.epoch
  }

  apply(e: ConfigEvent): void {
    const m = this.maps.get(e.entity)!
    if (e.op === 'delete') m.delete(e.id)
    else m.set(e.id, e.payload)
    this.version = e.version
  }

  get size(): number {
    let n = 0
    for (const m of this.maps.values()) n += m.size
    return n
  }
}

class InProcessFollower {
  readonly target = new LightTarget()
  readonly timeline: Timeline = []
  readonly client: ClusterClient
  readonly follower: ConfigFollower
  private subscriber: NoticeSubscriber | undefined
  private poll: NodeJS.Timeout | undefined

  constructor(cluster: LocalCluster, token: string) {
    this.client = new ClusterClient(cluster.controlPlane.cluster, token)
    this.follower = new ConfigFollower(this.client, this.target, {
      onChange: () => this.timeline.push([performance.now(), this.target.version]),
    })
  }

  follow(redisUrl: string): void {
    this.subscriber = new NoticeSubscriber(redisUrl, {
      onNotice: (n) => this.follower.noticeVersion(n.version, n.epoch),
      onReady: () => void this.follower.trigger(),
    })
    this.poll = setInterval(() => void this.follower.trigger(), POLL_MS)
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll)
    await this.subscriber?.close()
    this.client.close()
  }
}

/** Polls each real data plane's /status back-to-back and keeps its version timeline. */
class StatusPoller {
  readonly timelines: Timeline[]
  private running = true
  private loops: Promise<void>[] = []

  constructor(private readonly urls: string[]) {
    this.timelines = urls.map(() => [])
  }

  start(): void {
    this.loops = this.urls.map(async (url, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      let last = -1
      while (this.running) {
        try {
          const s = await getJson<NodeStatus>(url, 2000, agent)
          if (s.config_version > last) {
            last = s.config_version
            this.timelines[i]!.push([performance.now(), last])
          }
        } catch {
          // counted as a gap in the timeline only
        }
        await new Promise((r) => setTimeout(r, 2))
      }
      agent.destroy()
    })
  }

  async stop(): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }
}

/** CPU seconds (user + system) a process used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the full line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

function request(base: string, method: string, path: string, body?: object): Promise<{ status: number; text: string }> {
  return jsonRequest(agent, `${base}${path}`, method, body)
}

async function bounded(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

function psql(url: string, sql: string): void {
  const r = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`psql: ${r.error?.message ?? r.stderr}`)
}

/** The control plane's status once every real data plane reports its hash. */
async function waitConverged(cluster: LocalCluster, timeoutMs: number): Promise<NodeStatus> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const s = await cluster.statuses()
    if (s.dataPlanes.every((d) => d.config_hash === s.controlPlane.config_hash)) return s.controlPlane
    if (performance.now() > deadline) throw new Error(`data planes did not converge: ${JSON.stringify(s)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const upstreamName = (u: number) => `fleet-${u}`
const targetAddress = (i: number) => `10.${2 + Math.floor(i / 65536)}.${(i >> 8) & 255}.${i & 255}:8000`

const ms = (n: number) => `${n.toFixed(1)} ms`

export async function runFleet(opts: FleetOptions): Promise<void> {
  const { cluster } = opts
  const admin = cluster.controlPlane.admin
  const cpPid = cluster.controlPlane.pid
  const perUpstream = Math.ceil(opts.targets / UPSTREAMS)

  // 100 upstreams through the Admin API; 10,000 targets inserted in bulk (through the Admin API
  // they take minutes on a shared machine), then a new cluster epoch, exactly what a restored
  // database looks like: every follower reloads the snapshot (not measured).
  const t0 = performance.now()
  await bounded(UPSTREAMS, 8, async (u) => {
    const r = await request(admin, 'POST', '/upstreams', { name: upstreamName(u) })
    if (r.status !== 201) throw new Error(`upstream: ${r.status} ${r.text}`)
  })
  psql(
    opts.databaseUrl,
    `insert into targets (id, created_at, updated_at, upstream_id, target, weight)
     select gen_random_uuid(), extract(epoch from now()), extract(epoch from now()), u.id,
            '10.' || (2 + g / 65536) || '.' || ((g >> 8) & 255) || '.' || (g & 255) || ':8000', 100
     from generate_series(0, ${opts.targets - 1}) g join upstreams u on u.name = 'fleet-' || (g % ${UPSTREAMS});
     update cluster_epoch set epoch = gen_random_uuid(), updated_at = now();`
  )
  const base = await waitConverged(cluster, 30_000)
  const setupS = (performance.now() - t0) / 1000

  // Everyone to a snapshot at once: one alone first, then all in-process followers together.
  const inProcess = Math.max(0, opts.followers - cluster.dataPlanes.length)
  const followers = Array.from({ length: inProcess }, () => new InProcessFollower(cluster, opts.token))
  const soloStart = performance.now()
  const soloCpu = cpuSeconds(cpPid)
  const solo = new InProcessFollower(cluster, opts.token)
  await solo.follower.bootstrap()
  const soloMs = performance.now() - soloStart
  const soloCpuMs = (cpuSeconds(cpPid) - soloCpu) * 1000
  await solo.close()
  const stampedeCpu = cpuSeconds(cpPid)
  const stampedeStart = performance.now()
  await Promise.all(followers.map((f) => f.follower.bootstrap()))
  const stampedeMs = performance.now() - stampedeStart
  const stampedeCpuMs = (cpuSeconds(cpPid) - stampedeCpu) * 1000
  const entities = followers[0]?.target.size ?? 0
  for (const f of followers) f.follow(opts.redisUrl)

  const poller = new StatusPoller(cluster.dataPlanes.map((d) => `${d.status}/status`))
  poller.start()
  await new Promise((r) => setTimeout(r, 500))

  // The burst: each write changes the weight of a different target to a value no other write
  // uses, so its outbox event (and version) can be found afterwards.
  const acks: Array<{ key: string; at: number }> = []
  const burstCpu = cpuSeconds(cpPid)
  const benchCpu = process.cpuUsage()
  const burstStart = performance.now()
  let refused = 0
  await bounded(opts.burst, opts.concurrency, async (k) => {
    const i = (k * 9973) % opts.targets
    const weight = 1 + (k % 1000)
    const r = await request(admin, 'PATCH', `/upstreams/${upstreamName(i % UPSTREAMS)}/targets/${targetAddress(i)}`, { weight })
    if (r.status !== 200) {
      refused++
      return
    }
    acks.push({ key: `${targetAddress(i)}|${weight}`, at: performance.now() })
  })
  const burstS = (performance.now() - burstStart) / 1000
  const burstCpuS = cpuSeconds(cpPid) - burstCpu
  const benchCpuUsed = process.cpuUsage(benchCpu)
  const benchCpuS = (benchCpuUsed.user + benchCpuUsed.system) / 1e6

  // Versions of the burst's writes, from the outbox.
  const versionOf = new Map<string, number>()
  for (let after = base.config_version, i = 0; i < 100; i++) {
    const page = await new Promise<{ latest: number; events: ConfigEvent[] }>((ok, fail) => {
      http
        .get(`${cluster.controlPlane.cluster}/v1/events?after=${after}`, { headers: { authorization: `Bearer ${opts.token}` } }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => ok(JSON.parse(Buffer.concat(chunks).toString('utf8'))))
        })
        .on('error', fail)
    })
    for (const e of page.events) {
      const p = e.payload as { target?: string; weight?: number } | null
      if (p?.target) versionOf.set(`${p.target}|${p.weight}`, e.version)
      after = e.version
    }
    if (page.events.length === 0 || after >= page.latest) break
  }

  // Wait until every follower has the last version, then read the timelines.
  const last = Math.max(...versionOf.values())
  const timelines = () => [...poller.timelines, ...followers.map((f) => f.timeline)]
  const deadline = performance.now() + 30_000
  while (performance.now() < deadline && timelines().some((t) => reachedAt(t, last) === undefined)) {
    await new Promise((r) => setTimeout(r, 20))
  }
  await poller.stop()
  const missing = timelines().filter((t) => reachedAt(t, last) === undefined).length

  const latencies: number[] = []
  for (const a of acks) {
    const v = versionOf.get(a.key)
    if (v === undefined) continue
    const times = timelines().map((t) => reachedAt(t, v))
    if (times.some((t) => t === undefined)) continue
    latencies.push(Math.max(0, Math.max(...(times as number[])) - a.at))
  }
  latencies.sort((a, b) => a - b)
  const final = await getJson<NodeStatus>(`${cluster.controlPlane.cluster}/status`)
  const dpStatuses = await Promise.all(cluster.dataPlanes.map((d) => getJson<NodeStatus>(`${d.status}/status`)))
  await Promise.all(followers.map((f) => f.close()))
  agent.destroy()

  const p99 = quantile(latencies, 0.99)
  console.log(`
fifty followers: ${cluster.dataPlanes.length} data-plane processes + ${inProcess} in-process followers, ${opts.targets} targets on ${UPSTREAMS} upstreams (${perUpstream} each)
  set-up      ${opts.targets} targets inserted in bulk + new epoch, data planes reloaded, in ${setupS.toFixed(1)} s (not measured below); ${entities} entities per follower
  snapshot    one follower alone ${ms(soloMs)} (control plane CPU ${ms(soloCpuMs)}); all ${inProcess} at once ${ms(stampedeMs)} (control plane CPU ${ms(stampedeCpuMs)}: one database read and serialisation per version, however many ask)
  burst       ${acks.length} weight PATCHes answered 2xx (${refused} refused), ${opts.concurrency} in flight, ${burstS.toFixed(1)} s (${(acks.length / burstS).toFixed(0)} writes/s)
  latency     2xx → all ${opts.followers} followers at the write's version: p50 ${ms(quantile(latencies, 0.5))}  p99 ${ms(p99)}  max ${ms(latencies[latencies.length - 1] ?? NaN)} (${latencies.length} writes; target p99 < 200 ms: ${p99 < 200 ? 'met' : 'NOT met'})
  cp CPU      ${((burstCpuS * 1000) / Math.max(1, acks.length)).toFixed(2)} ms per write during the burst (compare with the 3-data-plane run above)
  bench CPU   this process (the ${inProcess} in-process followers, the writers, the pollers) used ${benchCpuS.toFixed(1)} CPU-s in the ${burstS.toFixed(1)} s burst (${((100 * benchCpuS) / burstS).toFixed(0)} % of one core): near 100 % means the measurement itself waited for CPU
  check       followers without the last version after 30 s: ${missing}; data planes on the control plane's hash: ${dpStatuses.every((s) => s.config_hash === final.config_hash) ? 'yes' : 'NO'}`)
}
