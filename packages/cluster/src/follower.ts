// A data plane's config follower: applies the control plane's events in version order and
// repairs every kind of gap. A notice or heartbeat ahead of the applied version, a Redis
// (re)connect, or the periodic poll trigger one catch-up (`GET /v1/events?after=V`); a 410
// (V older than the retained outbox) or a version that was never committed triggers a fresh
// snapshot. Catch-ups never overlap: a trigger during one schedules exactly one more.
//
// Versions compare only within one cluster epoch (one database). An answer from the control
// plane in another epoch, or one whose newest version is below ours (a restored backup), means
// our version number says nothing: we reload the snapshot. A notice in another epoch or below
// our version only triggers a catch-up, so what decides is always the authenticated answer.

import { ENTITY_KINDS, type ConfigEvent, type EntityKind, type Snapshot } from './types.js'

export type EventsPage =
  | { ok: true; latest: number; events: ConfigEvent[]; epoch?: string | undefined }
  | { ok: false; gone: true }

export interface FollowerSource {
  snapshot(): Promise<Snapshot>
  eventsAfter(version: number): Promise<EventsPage>
}

export interface FollowerTarget {
  readonly version: number
  /** Epoch of the loaded snapshot (undefined before the first one, or from an old cache). */
  readonly epoch?: string | undefined
  loadSnapshot(snapshot: Snapshot): void
  apply(event: ConfigEvent): void
}

export interface FollowerHooks {
  /** After a snapshot load or a batch of events, e.g. to write the cache file. */
  onChange?(): void
  onError?(err: unknown): void
}

/** Validates one event from the control plane before it may touch the config. */
export function isConfigEvent(e: unknown): e is ConfigEvent {
  if (typeof e !== 'object' || e === null) return false
  const x = e as Record<string, unknown>
  return (
    typeof x['version'] === 'number' &&
    Number.isSafeInteger(x['version']) &&
    ENTITY_KINDS.includes(String(x['entity']) as EntityKind) &&
    (x['op'] === 'upsert' || x['op'] === 'delete') &&
    typeof x['id'] === 'string' &&
    (x['payload'] === null || (typeof x['payload'] === 'object' && !Array.isArray(x['payload']))) &&
    (x['op'] === 'delete' || x['payload'] !== null)
  )
}

export class ConfigFollower {
  private running: Promise<void> | undefined
  private again = false
  /** Highest version anyone told us exists. */
  private known = 0

  constructor(
    private readonly source: FollowerSource,
    private readonly target: FollowerTarget,
    private readonly hooks: FollowerHooks = {}
  ) {}

  /** Loads a full snapshot (boot, or after a 410). */
  async bootstrap(): Promise<void> {
    const snap = await this.source.snapshot()
    const sameEpoch = snap.epoch === this.target.epoch
    this.target.loadSnapshot(snap)
    // Versions heard in another epoch mean nothing in this one.
    this.known = sameEpoch ? Math.max(this.known, snap.version) : snap.version
    this.hooks.onChange?.()
  }

  /**
   * A notice or heartbeat saw `version` (in `epoch`, when it says): catch up when it is ahead
   * of us; check with the control plane when it is behind us or in another epoch.
   */
  noticeVersion(version: number, epoch?: string): void {
    const otherEpoch = epoch !== undefined && epoch !== this.target.epoch
    if (!otherEpoch) this.known = Math.max(this.known, version)
    if (otherEpoch || version !== this.target.version) void this.trigger()
  }

  /** Something may have been missed (reconnect, poll): catch up unconditionally. */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.loop().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  get lag(): number {
    return Math.max(0, this.known - this.target.version)
  }

  private async loop(): Promise<void> {
    do {
      this.again = false
      try {
        await this.catchUp()
      } catch (err) {
        this.hooks.onError?.(err)
        return
      }
    } while (this.again)
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.source.eventsAfter(this.target.version)
      if (!page.ok) {
        await this.bootstrap()
        return
      }
      const epochChanged = page.epoch !== undefined && page.epoch !== this.target.epoch
      if (epochChanged || page.latest < this.target.version) {
        // Another database, or this one went back in time: our version number is meaningless.
        await this.bootstrap()
        return
      }
      const first = page.events[0]
      if (first && first.version > this.target.version + 1) {
        // The next version is missing while later ones exist: a writer took it and never
        // committed (rolled back, or its control plane died mid-write). It will never arrive,
        // so only a snapshot gets us past it; asking again would wedge us here forever.
        await this.bootstrap()
        return
      }
      let changed = false
      for (const event of page.events) {
        // Only the next version applies; a hole means the page is inconsistent: ask again.
        if (!isConfigEvent(event) || event.version !== this.target.version + 1) break
        this.target.apply(event)
        changed = true
      }
      this.known = Math.max(this.known, page.latest)
      if (changed) this.hooks.onChange?.()
      if (!changed || this.target.version >= page.latest) return
    }
  }
}
