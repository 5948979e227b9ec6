// The newest outbox events, held in memory by the control plane that serves them: after a
// commit every data plane asks for the events after its version at once, and with fifty of them
// a database read per request took the pool from the Admin API's writes. The tail is filled by
// this control plane's own commits (with the epoch their COMMIT read) and by what it reads from
// the outbox (commits of other control planes, or from before it started). A range is served
// from it only when it holds every version of that range, so anything missing is read from the
// database as before; and `newest` answers a data plane without any database read when the
// tail holds the next version and nothing newer is known to exist.

import type { OutboxEvent } from '@switchyard/db'

/** Versions held; older ones are read from the database. */
export const TAIL_KEEP = 20_000

export class OutboxTail {
  private epoch: string | undefined
  private readonly events = new Map<number, OutboxEvent>()
  /** The lowest version that may be held (versions below it were trimmed). */
  private low = Number.POSITIVE_INFINITY
  /** The newest version known to exist in this epoch (own commits, outbox reads, heartbeats). */
  private known = 0

  constructor(private readonly keep = TAIL_KEEP) {}

  /**
   * Keeps events of `epoch` (read from the outbox, or committed here; their COMMIT read the
   * epoch). Undefined: the epoch is not known, and nothing held can be served until it is.
   */
  add(events: readonly OutboxEvent[], epoch: string | undefined): void {
    if (epoch !== this.epoch) this.reset(epoch)
    for (const e of events) {
      const held = this.events.get(e.version)
      if (held && (held.id !== e.id || held.entity !== e.entity || held.op !== e.op)) {
        // Another event under a version already held: the database went back in time (a backup
        // restored in place). Nothing held can be trusted until it is read again.
        this.reset(this.epoch)
      }
      this.events.set(e.version, e)
      if (e.version < this.low) this.low = e.version
      if (e.version > this.known) this.known = e.version
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
    return this.held(after, Math.min(latest, after + limit), limit)
  }

  /** The database's head as read elsewhere (events endpoint, heartbeat): newer versions exist. */
  sawHead(epoch: string, version: number): void {
    if (epoch !== this.epoch) this.reset(epoch)
    if (version > this.known) this.known = version
  }

  /**
   * The answer to `after` with no database read: the events after it (at most `limit`) and the
   * newest version, when the tail holds the next version, every one after it up to the newest
   * known, and knows its epoch. Undefined otherwise.
   */
  newest(after: number, limit: number): { epoch: string; latest: number; events: OutboxEvent[] } | undefined {
    if (this.epoch === undefined || after >= this.known) return undefined
    const events = this.held(after, this.known, limit)
    return events && { epoch: this.epoch, latest: this.known, events }
  }

  /** The first `limit` events after `after` when every version through `through` is held. */
  private held(after: number, through: number, limit: number): OutboxEvent[] | undefined {
    const out: OutboxEvent[] = []
    for (let v = after + 1; v <= through; v++) {
      const e = this.events.get(v)
      if (!e) return undefined
      if (out.length < limit) out.push(e)
    }
    return out
  }

  get size(): number {
    return this.events.size
  }

  private reset(epoch: string | undefined): void {
    this.epoch = epoch
    this.events.clear()
    this.low = Number.POSITIVE_INFINITY
    this.known = 0
  }
}
