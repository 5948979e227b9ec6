// Cluster-wide AI balancing state in Redis.
//   <prefix>:cd:<upstream>            hash target → "until|reason"   (cooldowns)
//   <prefix>:rem:<upstream>           hash target → "share|until"    (provider windows)
//   <prefix>:b:<upstream>:<window>    hash target:r / target:t / target:p (requests, tokens, reserved)
// A cooldown is one script run: it keeps the later of two cooldowns, sets the key's expiry and
// publishes the doorbell `{"u":…}` on <prefix>, in one atomic step. A reservation is one script
// run applying `admits` (packages/ai) to the counters. Keys expire by themselves.

import type { BudgetCounts, BudgetLimits } from '@switchyard/ai'
import { BUDGET_WINDOW_MS } from '@switchyard/ai'
import type { Redis } from 'ioredis'
import { redisCommands } from './redis-connect.js'
import type { AiStateStore, Reservation, StoredCooldown, StoredRemaining, TargetAiState } from './ai-store.js'
import { formatDoorbell, RedisDoorbell } from './redis-doorbell.js'
import { whenReady } from './redis-ready.js'
import { RedisScripts } from './redis-scripts.js'

export const DEFAULT_AI_PREFIX = 'switchyard:ai'
/** How long state outlives its own end, so a late reader still finds it expired, not missing. */
const LINGER_MS = 60_000

// Sets the key's expiry to `at` unless it already lives longer.
const EXTEND_EXPIRY = `
local function extend(key, at)
  local cur = redis.call('PEXPIRETIME', key)
  if cur < at then redis.call('PEXPIREAT', key, at) end
end
`

const COOLDOWN_SCRIPT = `${EXTEND_EXPIRY}
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local u = tonumber(string.match(cur, '^(%d+)|'))
  if u and u >= tonumber(ARGV[2]) then return cur end
end
local v = ARGV[2] .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], v)
extend(KEYS[1], tonumber(ARGV[2]) + ${LINGER_MS})
redis.call('PUBLISH', ARGV[4], ARGV[5])
return v
`

// Mirrors admits() in packages/ai/src/budget.ts.
const RESERVE_SCRIPT = `${EXTEND_EXPIRY}
local r = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':r') or '0')
local t = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':t') or '0')
local p = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':p') or '0')
local rpm, tpm, est = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local ok = 1
if rpm >= 0 and r >= rpm then ok = 0 end
if ok == 1 and tpm >= 0 then
  local c = t + p
  if c >= tpm or (c > 0 and c + est > tpm) then ok = 0 end
end
if ok == 1 then
  r = redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':r', 1)
  p = redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':p', est)
  extend(KEYS[1], tonumber(ARGV[5]))
end
return {ok, r, t, p}
`

function parseCooldown(raw: string): StoredCooldown | undefined {
  const m = /^(\d+)\|(.*)$/.exec(raw)
  return m ? { until: Number(m[1]), reason: m[2]! } : undefined
}

function parseRemaining(raw: string): StoredRemaining | undefined {
  const m = /^(\d+(?:\.\d+)?)\|(\d+)(?:\|(\d*)\|(\d*))?$/.exec(raw)
  if (!m) return undefined
  const out: StoredRemaining = { share: Number(m[1]), until: Number(m[2]) }
  if (m[3]) out.requests = Number(m[3])
  if (m[4]) out.tokens = Number(m[4])
  return out
}

const whole = (n: number | undefined): string => (n !== undefined && Number.isFinite(n) && n >= 0 ? String(Math.round(n)) : '')

export interface RedisAiStoreOptions {
  url: string
  /** Key prefix; also the doorbell channel. */
  prefix?: string
}

export class RedisAiStore implements AiStateStore {
  private readonly redis: Redis
  private readonly scripts: RedisScripts
  private readonly doorbell: RedisDoorbell
  private readonly prefix: string

  constructor(opts: RedisAiStoreOptions) {
    this.prefix = opts.prefix ?? DEFAULT_AI_PREFIX
    this.redis = redisCommands(opts.url)
    this.scripts = new RedisScripts(this.redis)
    this.doorbell = new RedisDoorbell(opts.url, this.prefix)
  }

  private key(kind: 'cd' | 'rem', upstreamId: string): string {
    return `${this.prefix}:${kind}:${upstreamId}`
  }

  private budgetKey(upstreamId: string, window: number): string {
    return `${this.prefix}:b:${upstreamId}:${window}`
  }

  async coolDown(upstreamId: string, target: string, until: number, reason: string): Promise<StoredCooldown> {
    const raw = (await this.scripts.run(COOLDOWN_SCRIPT, this.key('cd', upstreamId), [
      target,
      Math.round(until),
      reason,
      this.prefix,
      formatDoorbell(upstreamId),
    ])) as string
    return parseCooldown(raw) ?? { until, reason }
  }

  async reportRemaining(upstreamId: string, target: string, remaining: StoredRemaining): Promise<void> {
    await whenReady(this.redis)
    const key = this.key('rem', upstreamId)
    const share = Math.max(0, Math.min(1, remaining.share))
    await this.redis
      .multi()
      .hset(key, target, `${share.toFixed(4)}|${Math.round(remaining.until)}|${whole(remaining.requests)}|${whole(remaining.tokens)}`)
      .pexpireat(key, Math.round(remaining.until) + LINGER_MS)
      .publish(this.prefix, formatDoorbell(upstreamId))
      .exec()
  }

  async states(upstreamId: string, nowMs: number): Promise<Map<string, TargetAiState>> {
    await whenReady(this.redis)
    const res = await this.redis.multi().hgetall(this.key('cd', upstreamId)).hgetall(this.key('rem', upstreamId)).exec()
    const cds = (res?.[0]?.[1] ?? {}) as Record<string, string>
    const rems = (res?.[1]?.[1] ?? {}) as Record<string, string>
    const out = new Map<string, TargetAiState>()
    for (const [t, raw] of Object.entries(cds)) {
      const c = parseCooldown(raw)
      if (c && c.until > nowMs) out.set(t, { cooldown: c })
    }
    for (const [t, raw] of Object.entries(rems)) {
      const r = parseRemaining(raw)
      if (r && r.until > nowMs) out.set(t, { ...out.get(t), remaining: r })
    }
    return out
  }

  async reserve(upstreamId: string, target: string, window: number, limits: BudgetLimits, estimate: number): Promise<Reservation> {
    const est = Math.max(0, Math.round(estimate))
    const [ok, r, t, p] = (await this.scripts.run(RESERVE_SCRIPT, this.budgetKey(upstreamId, window), [
      target,
      limits.rpm ?? -1,
      limits.tpm ?? -1,
      est,
      window + 2 * BUDGET_WINDOW_MS,
    ])) as [number, number, number, number]
    return { ok: ok === 1, counts: { requests: Number(r), tokens: Number(t), reserved: Number(p) } }
  }

  async settle(upstreamId: string, target: string, window: number, estimate: number, tokens: number, refund: boolean): Promise<void> {
    await whenReady(this.redis)
    const key = this.budgetKey(upstreamId, window)
    const m = this.redis.multi()
    m.hincrby(key, `${target}:t`, Math.max(0, Math.round(tokens)))
    m.hincrby(key, `${target}:p`, -Math.max(0, Math.round(estimate)))
    if (refund) m.hincrby(key, `${target}:r`, -1)
    // Usage-only counting (lowest-usage without a budget) creates the key here.
    m.pexpireat(key, window + 2 * BUDGET_WINDOW_MS)
    await m.exec()
  }

  async usage(upstreamId: string, window: number): Promise<Map<string, BudgetCounts>> {
    await whenReady(this.redis)
    const all = await this.redis.hgetall(this.budgetKey(upstreamId, window))
    const out = new Map<string, { requests: number; tokens: number; reserved: number }>()
    for (const [field, raw] of Object.entries(all)) {
      const cut = field.lastIndexOf(':')
      const target = field.slice(0, cut)
      const kind = field.slice(cut + 1)
      const n = Number(raw)
      if (!Number.isFinite(n)) continue
      const c = out.get(target) ?? { requests: 0, tokens: 0, reserved: 0 }
      if (kind === 'r') c.requests = n
      else if (kind === 't') c.tokens = n
      else if (kind === 'p') c.reserved = n
      else continue
      out.set(target, c)
    }
    return out
  }

  async clear(upstreamId: string, target?: string): Promise<void> {
    await whenReady(this.redis)
    const keys = [this.key('cd', upstreamId), this.key('rem', upstreamId)]
    if (target === undefined) await this.redis.del(...keys)
    else await this.redis.multi().hdel(keys[0]!, target).hdel(keys[1]!, target).exec()
  }

  subscribe(listener: (upstreamId: string) => void): () => void {
    return this.doorbell.subscribe(listener)
  }

  onResync(listener: () => void): () => void {
    return this.doorbell.onResync(listener)
  }

  async close(): Promise<void> {
    this.doorbell.close()
    this.redis.disconnect()
  }
}
