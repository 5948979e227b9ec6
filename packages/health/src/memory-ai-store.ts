// In-process AI balancing state: the standalone gateway and unit tests. Same rules as the
// Redis store (admits from @switchyard/ai; windows forgotten once two newer ones exist).

import { admits, BUDGET_WINDOW_MS, EMPTY_COUNTS, type BudgetCounts, type BudgetLimits } from '@switchyard/ai'
import type { AiStateStore, Reservation, StoredCooldown, StoredRemaining, TargetAiState } from './ai-store.js'

interface UpstreamState {
  cooldowns: Map<string, StoredCooldown>
  remaining: Map<string, StoredRemaining>
  /** window start → target → counts */
  budgets: Map<number, Map<string, BudgetCounts>>
}

export class MemoryAiStore implements AiStateStore {
  private readonly upstreams = new Map<string, UpstreamState>()
  private readonly listeners = new Set<(upstreamId: string) => void>()

  private of(upstreamId: string): UpstreamState {
    let u = this.upstreams.get(upstreamId)
    if (!u) {
      u = { cooldowns: new Map(), remaining: new Map(), budgets: new Map() }
      this.upstreams.set(upstreamId, u)
    }
    return u
  }

  private ring(upstreamId: string): void {
    for (const l of this.listeners) l(upstreamId)
  }

  async coolDown(upstreamId: string, target: string, until: number, reason: string): Promise<StoredCooldown> {
    const u = this.of(upstreamId)
    const current = u.cooldowns.get(target)
    if (current && current.until >= until) return current
    const next = { until, reason }
    u.cooldowns.set(target, next)
    this.ring(upstreamId)
    return next
  }

  async reportRemaining(upstreamId: string, target: string, remaining: StoredRemaining): Promise<void> {
    this.of(upstreamId).remaining.set(target, { ...remaining })
    this.ring(upstreamId)
  }

  async states(upstreamId: string, nowMs: number): Promise<Map<string, TargetAiState>> {
    const out = new Map<string, TargetAiState>()
    const u = this.upstreams.get(upstreamId)
    if (!u) return out
    for (const [t, c] of u.cooldowns) {
      if (c.until > nowMs) out.set(t, { cooldown: { ...c } })
      else u.cooldowns.delete(t)
    }
    for (const [t, r] of u.remaining) {
      if (r.until <= nowMs) {
        u.remaining.delete(t)
        continue
      }
      out.set(t, { ...out.get(t), remaining: { ...r } })
    }
    return out
  }

  private counters(upstreamId: string, window: number): Map<string, BudgetCounts> {
    const u = this.of(upstreamId)
    let w = u.budgets.get(window)
    if (!w) {
      w = new Map()
      u.budgets.set(window, w)
      // Keep the current and previous window only (late settlements land in the previous one).
      for (const start of u.budgets.keys()) if (start < window - BUDGET_WINDOW_MS) u.budgets.delete(start)
    }
    return w
  }

  async reserve(upstreamId: string, target: string, window: number, limits: BudgetLimits, estimate: number): Promise<Reservation> {
    const w = this.counters(upstreamId, window)
    const counts = w.get(target) ?? EMPTY_COUNTS
    if (!admits(counts, limits, estimate)) return { ok: false, counts }
    const next = { requests: counts.requests + 1, tokens: counts.tokens, reserved: counts.reserved + estimate }
    w.set(target, next)
    return { ok: true, counts: next }
  }

  async settle(upstreamId: string, target: string, window: number, estimate: number, tokens: number, refund: boolean): Promise<void> {
    // Usage-only counting (lowest-usage without a budget) settles without a reservation.
    const w = this.counters(upstreamId, window)
    const counts = w.get(target) ?? EMPTY_COUNTS
    w.set(target, {
      requests: counts.requests - (refund ? 1 : 0),
      tokens: counts.tokens + tokens,
      reserved: counts.reserved - estimate,
    })
  }

  async usage(upstreamId: string, window: number): Promise<Map<string, BudgetCounts>> {
    return new Map(this.upstreams.get(upstreamId)?.budgets.get(window) ?? [])
  }

  async clear(upstreamId: string, target?: string): Promise<void> {
    if (target === undefined) {
      this.upstreams.delete(upstreamId)
      return
    }
    const u = this.upstreams.get(upstreamId)
    if (!u) return
    u.cooldowns.delete(target)
    u.remaining.delete(target)
    for (const w of u.budgets.values()) w.delete(target)
  }

  subscribe(listener: (upstreamId: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onResync(_listener: () => void): () => void {
    // One process: a ring can never be missed.
    return () => {}
  }

  async close(): Promise<void> {
    this.listeners.clear()
  }
}
