// The newest outbox events, held in memory by the control plane that serves them: after a
// commit every data plane asks for the events after its version at once, and with fifty of them
// a database read per request took the pool from the Admin API's writes. The tail is filled by
// this control plane's own commits and by what it reads from the outbox (commits of other
// control planes, or from before it started); a range is served from it only when it holds
// every version of that range, so anything missing is read from the database as before.

import type { OutboxEvent } from '@switchyard/db'

/** Versions held; older ones are read from the database. */
export const TAIL_KEEP = 20_000

export class OutboxTail {
  private epoch: string | undefined
  private readonly events = new Map<number, OutboxEvent>()
  /** The lowest version that may be held (versions below it were trimmed). */
  private low = Number.POSITIVE_INFINITY

  constructor(private readonly keep = TAIL_KEEP) {}

  /**
   * Keeps events. `epoch` is the database's epoch when the caller read them from it; this
   * control plane's own commits pass undefined (they belong to the epoch the tail is on: a new
   * epoch is noticed by the next request's bounds, and the tail starts again).
   */
  add(events: readonly OutboxEvent[], epoch?: string): void {
    if (epoch !== undefined && epoch !== this.epoch) this.reset(epoch)
    for (const e of events) {
      this.events.set(e.version, e)
      if (e.version < this.low) this.low = e.version
    }
    while (this.events.size > this.keep) {
      this.events.delete(this.low)
      this.low++
    }
  }

  /**
   * Events after `after`, up to `latest` and at most `limit` of them, when the tail holds every
   * one in `epoch`; undefined otherwise (the caller reads the database).
   */
  range(epoch: string, after: number, latest: number, limit: number): OutboxEvent[] | undefined {
    if (epoch !== this.epoch) {
      this.reset(epoch)
      return undefined
    }
    const end = Math.min(latest, after + limit)
    const out: OutboxEvent[] = []
    for (let v = after + 1; v <= end; v++) {
      const e = this.events.get(v)
      if (!e) return undefined
      out.push(e)
    }
    return out
  }

  get size(): number {
    return this.events.size
  }

  private reset(epoch: string): void {
    this.epoch = epoch
    this.events.clear()
    this.low = Number.POSITIVE_INFINITY
  }
}

/**
 * One outbox bounds query shared by every request that arrived before it was sent: a request
 * that comes while a query runs waits for the next one, so what it is told exists is never older
 * than the request (a data plane asking after a notice sees at least that notice's version).
 */
export class FreshRead<T> {
  private running: Promise<T> | undefined
  private queued: Promise<T> | undefined

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.running) return this.start()
    this.queued ??= this.running
      .then(
        () => undefined,
        () => undefined
      )
      .then(() => {
        this.queued = undefined
        return this.start()
      })
    return this.queued
  }

  private start(): Promise<T> {
    const p = this.read()
    this.running = p
    const clear = () => {
      if (this.running === p) this.running = undefined
    }
    p.then(clear, clear)
    return p
  }
}
