// The newest snapshot, read and serialised once per (epoch, version) however many followers or
// status polls ask for it: fifty data planes sent to a snapshot at once cost one database read
// and one JSON.stringify, not fifty. Keyed by epoch too, so a control plane whose database was
// swapped underneath it never serves the old database's snapshot or hash under a reused version.

import { configHash } from '@switchyard/cluster'
import type { Store } from '@switchyard/db'

export interface CachedSnapshot {
  epoch: string
  version: number
  hash: string
  /** The `/v1/snapshot` answer, serialised. */
  body: string
}

export class SnapshotCache {
  private cached: CachedSnapshot | undefined
  private building: Promise<CachedSnapshot> | undefined
  /** How many times a snapshot was read from the database (for tests and the benchmark). */
  builds = 0

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

  private build(): Promise<CachedSnapshot> {
    if (!this.building) {
      this.building = (async () => {
        this.builds++
        const snap = await this.store.snapshot()
        const hash = configHash(snap.entities)
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

/** What `/status` and the metrics report for the control plane: its newest version and hash. */
export class StatusCache {
  private readonly snapshots: SnapshotCache

  constructor(source: Store | SnapshotCache) {
    this.snapshots = source instanceof SnapshotCache ? source : new SnapshotCache(source)
  }

  async current(): Promise<{ config_version: number; config_hash: string; config_epoch: string }> {
    const c = await this.snapshots.current()
    return { config_version: c.version, config_hash: c.hash, config_epoch: c.epoch }
  }
}
