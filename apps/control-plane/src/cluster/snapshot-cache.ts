// What the control plane serves about its configuration, each computed at most once per
// (epoch, version) however many followers or status polls ask:
// - the hash (`/status`, metrics): a running ConfigHashTracker fed with the outbox events since
//   the version it last saw, so a new version costs its own events, not a read and a rehash of
//   the whole database (a full read happens on the first call, after a new epoch, and when the
//   outbox no longer holds the events needed);
// - the snapshot (`/v1/snapshot`): read and serialised once per version, on demand: fifty data
//   planes sent to a snapshot at once cost one database read and one JSON.stringify, not fifty.
// Keyed by epoch too, so a control plane whose database was swapped underneath it never serves
// the old database's snapshot or hash under a reused version.

import { configHash } from '@switchyard/cluster'
import type { Store } from '@switchyard/db'
import { ConfigHashTracker } from './config-hash-tracker.js'

export interface CachedSnapshot {
  epoch: string
  version: number
  hash: string
  /** The `/v1/snapshot` answer, serialised. */
  body: string
}

export interface ConfigHead {
  epoch: string
  version: number
  hash: string
}

/** Outbox events read per round trip while catching the hash up. */
const CATCH_UP_PAGE = 10_000

export class SnapshotCache {
  private cached: CachedSnapshot | undefined
  private building: Promise<CachedSnapshot> | undefined
  private tracker: ConfigHashTracker | undefined
  private updating: Promise<ConfigHead> | undefined
  /** How many times a snapshot was read from the database (for tests and the benchmark). */
  builds = 0
  /** How many outbox events the hash was caught up with (for tests and the benchmark). */
  eventsApplied = 0

  constructor(private readonly store: Store) {}

  /**
   * The snapshot of the database's head. When the database cannot be read, the last one built
   * is served (data planes booting during a Postgres outage still get the last known config);
   * without one, the error propagates.
   */
  async current(): Promise<CachedSnapshot> {
    let head: { epoch: string; version: number }
    try {
      head = await this.store.head()
    } catch (err) {
      if (this.cached) return this.cached
      throw err
    }
    // Two rounds at most: a build already running may predate the head we just read.
    for (let round = 0; round < 2; round++) {
      const c = this.cached
      if (c && c.epoch === head.epoch && c.version === head.version) return c
      const built = await this.build()
      if (built.epoch !== head.epoch || built.version >= head.version) return built
    }
    return this.cached!
  }

  /**
   * Epoch, version and hash of the database's head (at least the head when called). Served from
   * the running hash; when the database cannot be read, the last one known is served.
   */
  async head(): Promise<ConfigHead> {
    let bounds: { epoch: string; version: number; oldest: number }
    try {
      bounds = await this.store.outboxBounds()
    } catch (err) {
      const t = this.tracker
      if (t) return { epoch: t.epoch, version: t.version, hash: t.hash() }
      throw err
    }
    for (let round = 0; round < 2; round++) {
      const t = this.tracker
      if (t && t.epoch === bounds.epoch && t.version >= bounds.version) {
        return { epoch: t.epoch, version: t.version, hash: t.hash() }
      }
      // One catch-up at a time; a caller that arrives during one waits for it and checks again.
      if (!this.updating) {
        this.updating = this.catchUp(bounds).finally(() => {
          this.updating = undefined
        })
      }
      const head = await this.updating
      if (head.epoch !== bounds.epoch || head.version >= bounds.version) return head
    }
    const t = this.tracker!
    return { epoch: t.epoch, version: t.version, hash: t.hash() }
  }

  private async catchUp(bounds: { epoch: string; version: number; oldest: number }): Promise<ConfigHead> {
    let t = this.tracker
    // A full read when there is nothing to build on: first call, another epoch, versions that
    // went backwards, or events the outbox no longer holds.
    if (!t || t.epoch !== bounds.epoch || t.version > bounds.version || (bounds.oldest > t.version + 1 && bounds.version > t.version)) {
      const snap = await this.build()
      t = this.tracker
      if (!t || t.epoch !== snap.epoch || t.version !== snap.version) {
        // build() adopts its read unless a newer tracker was installed meanwhile.
        return { epoch: snap.epoch, version: snap.version, hash: snap.hash }
      }
    }
    while (t.version < bounds.version) {
      const events = await this.store.eventsAfter(t.version, CATCH_UP_PAGE)
      if (events.length === 0) break
      for (const e of events) t.apply(e)
      this.eventsApplied += events.length
      if (events.length < CATCH_UP_PAGE) break
    }
    return { epoch: t.epoch, version: t.version, hash: t.hash() }
  }

  private build(): Promise<CachedSnapshot> {
    if (!this.building) {
      this.building = (async () => {
        this.builds++
        const snap = await this.store.snapshot()
        const t = this.tracker
        let hash: string
        if (t && t.epoch === snap.epoch && t.version === snap.version) {
          hash = t.hash()
        } else if (t && t.epoch === snap.epoch && t.version > snap.version) {
          hash = configHash(snap.entities)
        } else {
          // The read is newer (or of another epoch): the running hash starts again from it.
          const fresh = new ConfigHashTracker(snap.epoch, snap.version, snap.entities)
          this.tracker = fresh
          hash = fresh.hash()
        }
        const body = JSON.stringify({ epoch: snap.epoch, version: snap.version, hash, entities: snap.entities })
        const c = { epoch: snap.epoch, version: snap.version, hash, body }
        this.cached = c
        return c
      })().finally(() => {
        this.building = undefined
      })
    }
    return this.building
  }
}

const shared = new WeakMap<Store, SnapshotCache>()

/** The one SnapshotCache of a store, shared by the cluster endpoints and the metrics scrape. */
export function snapshotCacheFor(store: Store): SnapshotCache {
  let cache = shared.get(store)
  if (!cache) {
    cache = new SnapshotCache(store)
    shared.set(store, cache)
  }
  return cache
}

/** What `/status` and the metrics report for the control plane: its newest version and hash. */
export class StatusCache {
  private readonly snapshots: SnapshotCache

  constructor(source: Store | SnapshotCache) {
    this.snapshots = source instanceof SnapshotCache ? source : snapshotCacheFor(source)
  }

  async current(): Promise<{ config_version: number; config_hash: string; config_epoch: string }> {
    const c = await this.snapshots.head()
    return { config_version: c.version, config_hash: c.hash, config_epoch: c.epoch }
  }
}
