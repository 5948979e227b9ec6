// Cluster-wide health state in Redis. One hash per upstream (field = target, value = packed
// counters); one Lua script applies an outcome atomically — the same rules as counters.ts —
// and rings a doorbell on the health channel, so the cluster, not each node, reaches a
// threshold, and every node learns of the flip at once. The doorbell names only the upstream:
// a node reads the states back from the store and reports the targets whose status changed,
// so whoever can publish on the channel can make nodes re-read, never eject a target.

import type { Redis } from 'ioredis'
import { redisCommands } from './redis-connect.js'
import { formatDoorbell, RedisDoorbell } from './redis-doorbell.js'
import { whenReady } from './redis-ready.js'
import { RedisScripts } from './redis-scripts.js'
import type { CounterState, HealthStatus, Outcome, Thresholds } from './counters.js'
import type { HealthChange, HealthStore, ReportResult } from './store.js'

export const DEFAULT_HEALTH_PREFIX = 'switchyard:health'

// State packed as "h|u,successes,http,tcp,timeouts". Mirrors applyOutcome in counters.ts.
const REPORT_SCRIPT = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local st, s, h, t, o = 'h', 0, 0, 0, 0
if raw then
  local a, b, c, d, e = string.match(raw, '^(%a),(%d+),(%d+),(%d+),(%d+)$')
  if a then st, s, h, t, o = a, tonumber(b), tonumber(c), tonumber(d), tonumber(e) end
end
local outcome = ARGV[2]
local ts, th, tt, to = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local nst, ns, nh, nt, no = st, s, h, t, o
if outcome == 'success' then
  if ts == 0 then return {st, 0} end
  if st == 'h' then
    if h + t + o == 0 then return {st, 0} end
    ns, nh, nt, no = 0, 0, 0, 0
  else
    ns, nh, nt, no = s + 1, 0, 0, 0
    if ns >= ts then nst, ns = 'h', 0 end
  end
else
  local limit = th
  if outcome == 'tcp_failure' then limit = tt elseif outcome == 'timeout' then limit = to end
  if limit == 0 then return {st, 0} end
  if st == 'u' and s == 0 then return {st, 0} end
  ns = 0
  local count
  if outcome == 'http_failure' then nh = h + 1; count = nh
  elseif outcome == 'tcp_failure' then nt = t + 1; count = nt
  else no = o + 1; count = no end
  if st == 'h' and count >= limit then nst, ns, nh, nt, no = 'u', 0, 0, 0, 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], nst .. ',' .. ns .. ',' .. nh .. ',' .. nt .. ',' .. no)
if nst ~= st then
  redis.call('PUBLISH', ARGV[7], cjson.encode({u = ARGV[8]}))
  return {nst, 1}
end
return {nst, 0}
`

function unpack(raw: string): CounterState | undefined {
  const m = /^([hu]),(\d+),(\d+),(\d+),(\d+)$/.exec(raw)
  if (!m) return undefined
  return {
    status: m[1] === 'h' ? 'healthy' : 'unhealthy',
    successes: Number(m[2]),
    httpFailures: Number(m[3]),
    tcpFailures: Number(m[4]),
    timeouts: Number(m[5]),
  }
}

export interface RedisHealthStoreOptions {
  url: string
  /** Key prefix; also the pub/sub channel name. */
  prefix?: string
}

export class RedisHealthStore implements HealthStore {
  private readonly redis: Redis
  private readonly scripts: RedisScripts
  private readonly doorbell: RedisDoorbell
  private readonly prefix: string
  private readonly listeners = new Set<(c: HealthChange) => void>()
  private listening = false
  /** Statuses this node last reported to its listeners, per upstream (absent = healthy). */
  private readonly known = new Map<string, Map<string, HealthStatus>>()

  constructor(opts: RedisHealthStoreOptions) {
    this.prefix = opts.prefix ?? DEFAULT_HEALTH_PREFIX
    this.redis = redisCommands(opts.url)
    this.scripts = new RedisScripts(this.redis)
    this.doorbell = new RedisDoorbell(opts.url, this.prefix)
  }

  private key(upstreamId: string): string {
    return `${this.prefix}:${upstreamId}`
  }

  async report(upstreamId: string, target: string, outcome: Outcome, t: Thresholds): Promise<ReportResult> {
    const [status, flipped] = (await this.scripts.run(REPORT_SCRIPT, this.key(upstreamId), [
      target,
      outcome,
      t.successes,
      t.httpFailures,
      t.tcpFailures,
      t.timeouts,
      this.prefix,
      upstreamId,
    ])) as [string, number]
    return { status: status === 'h' ? 'healthy' : 'unhealthy', changed: flipped === 1 }
  }

  async set(upstreamId: string, target: string, status: HealthStatus): Promise<void> {
    await whenReady(this.redis)
    const s = status === 'healthy' ? 'h' : 'u'
    await this.redis
      .multi()
      .hset(this.key(upstreamId), target, `${s},0,0,0,0`)
      .publish(this.prefix, formatDoorbell(upstreamId))
      .exec()
  }

  async states(upstreamId: string): Promise<Map<string, CounterState>> {
    await whenReady(this.redis)
    const all = await this.redis.hgetall(this.key(upstreamId))
    const out = new Map<string, CounterState>()
    for (const [target, raw] of Object.entries(all)) {
      const st = unpack(raw)
      if (st) out.set(target, st)
    }
    // What a reader has seen is what later doorbells are compared with.
    this.known.set(upstreamId, new Map([...out].map(([t, st]) => [t, st.status])))
    return out
  }

  /** A doorbell rang: re-read the upstream and report each target whose status changed. */
  private async onDoorbell(upstreamId: string): Promise<void> {
    const before = this.known.get(upstreamId) ?? new Map<string, HealthStatus>()
    let now: Map<string, CounterState>
    try {
      now = await this.states(upstreamId)
    } catch {
      return // Redis unreachable: the resync after reconnect re-reads everything.
    }
    const targets = new Set([...before.keys(), ...now.keys()])
    for (const target of targets) {
      const was = before.get(target) ?? 'healthy'
      const is = now.get(target)?.status ?? 'healthy'
      if (was !== is) for (const l of this.listeners) l({ upstreamId, target, status: is })
    }
  }

  async clear(upstreamId: string, target?: string): Promise<void> {
    await whenReady(this.redis)
    if (target === undefined) {
      await this.redis.del(this.key(upstreamId))
      this.known.delete(upstreamId)
    } else {
      await this.redis.hdel(this.key(upstreamId), target)
      this.known.get(upstreamId)?.delete(target)
    }
  }

  subscribe(listener: (c: HealthChange) => void): () => void {
    this.listeners.add(listener)
    if (!this.listening) {
      this.listening = true
      this.doorbell.subscribe((upstreamId) => void this.onDoorbell(upstreamId))
      // Doorbells rung while the line was down are lost: re-read every upstream this node
      // reported on, so listeners still hear each flip they missed.
      this.doorbell.onResync(() => {
        for (const upstreamId of this.known.keys()) void this.onDoorbell(upstreamId)
      })
    }
    return () => this.listeners.delete(listener)
  }

  /** Called whenever the subscription is (re)established: flips may have been missed. */
  onResync(listener: () => void): () => void {
    return this.doorbell.onResync(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
    this.doorbell.close()
    this.redis.disconnect()
  }
}
