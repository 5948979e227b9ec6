// In-process health store: the standalone gateway (one process, no Redis) and unit tests.

import { applyOutcome, INITIAL_STATE, manualState, type CounterState, type HealthStatus, type Outcome, type Thresholds } from './counters.js'
import type { HealthChange, HealthStore, ReportResult } from './store.js'

export class MemoryHealthStore implements HealthStore {
  private readonly upstreams = new Map<string, Map<string, CounterState>>()
  private readonly listeners = new Set<(c: HealthChange) => void>()

  private targets(upstreamId: string): Map<string, CounterState> {
    let m = this.upstreams.get(upstreamId)
    if (!m) {
      m = new Map()
      this.upstreams.set(upstreamId, m)
    }
    return m
  }

  private emit(change: HealthChange): void {
    for (const l of this.listeners) l(change)
  }

  async report(upstreamId: string, target: string, outcome: Outcome, t: Thresholds): Promise<ReportResult> {
    const m = this.targets(upstreamId)
    const before = m.get(target) ?? INITIAL_STATE
    const after = applyOutcome(before, outcome, t)
    if (after !== before) m.set(target, after)
    const changed = after.status !== before.status
    if (changed) this.emit({ upstreamId, target, status: after.status })
    return { status: after.status, changed }
  }

  async set(upstreamId: string, target: string, status: HealthStatus): Promise<void> {
    this.targets(upstreamId).set(target, manualState(status))
    this.emit({ upstreamId, target, status })
  }

  async states(upstreamId: string): Promise<Map<string, CounterState>> {
    return new Map(this.upstreams.get(upstreamId) ?? [])
  }

  async clear(upstreamId: string, target?: string): Promise<void> {
    if (target === undefined) this.upstreams.delete(upstreamId)
    else this.upstreams.get(upstreamId)?.delete(target)
  }

  subscribe(listener: (c: HealthChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
  }
}
