// Policy `local`: counters in this process only, each living until its window ends. Every
// node (data plane process) enforces the limits on its own. Reads and increments are
// synchronous, so check-then-increment cannot interleave with another request here.
// Identifiers can be client-chosen (limit_by header), so the number of counters is capped
// like Kong's fixed-size shared dict: past the cap the oldest counters are dropped (those
// clients start over), after expired ones.

const SWEEP_EVERY_MS = 10_000
const DEFAULT_MAX_COUNTERS = 500_000

interface Counter {
  value: number
  expiresAt: number
}

export class LocalCounters {
  private readonly counters = new Map<string, Counter>()
  private nextSweep = 0

  constructor(private readonly maxCounters = DEFAULT_MAX_COUNTERS) {}

  /** Current count of `key` at `nowMs` (0 when absent or expired). */
  get(key: string, nowMs: number): number {
    const c = this.counters.get(key)
    return c && c.expiresAt > nowMs ? c.value : 0
  }

  /** Adds one; a new (or expired) counter starts at 0 and lives until `expiresAt`. */
  increment(key: string, nowMs: number, expiresAt: number): number {
    this.maybeSweep(nowMs)
    const c = this.counters.get(key)
    if (c && c.expiresAt > nowMs) return ++c.value
    if (c) this.counters.delete(key)
    else if (this.counters.size >= this.maxCounters) this.evict(nowMs)
    this.counters.set(key, { value: 1, expiresAt })
    return 1
  }

  /** Live and not yet swept counters. */
  get size(): number {
    return this.counters.size
  }

  /** Drops expired counters (keys carry their window start, so old windows pile up otherwise). */
  sweep(nowMs: number): void {
    for (const [k, c] of this.counters) if (c.expiresAt <= nowMs) this.counters.delete(k)
  }

  /** Makes room for one more: expired counters first, else the oldest created. */
  private evict(nowMs: number): void {
    this.sweep(nowMs)
    let excess = this.counters.size - this.maxCounters + 1
    for (const k of this.counters.keys()) {
      if (excess-- <= 0) break
      this.counters.delete(k)
    }
  }

  private maybeSweep(nowMs: number): void {
    if (nowMs < this.nextSweep) return
    this.nextSweep = nowMs + SWEEP_EVERY_MS
    this.sweep(nowMs)
  }

  clear(): void {
    this.counters.clear()
  }
}
