// Publishes the control plane's commits on Redis: a notice after each commit and, every
// second, a heartbeat with the newest version and the epoch in Postgres (so a data plane that
// missed a notice, follows another control plane, or follows an older database, notices).
// Also trims the outbox, and starts a new epoch when the database's versions went backwards
// under a running control plane (a backup restored in place).

import { NoticePublisher, connectRedis } from '@switchyard/cluster'
import type { OutboxEvent, OutboxHead, Store } from '@switchyard/db'
import type { Logger } from '@switchyard/log'

export const HEARTBEAT_INTERVAL_MS = 1000
/** Outbox rows kept for catch-up; older data planes take a fresh snapshot (410). */
export const OUTBOX_KEEP = 100_000
const PRUNE_INTERVAL_MS = 60_000

export class OutboxPublisher {
  private readonly publisher: NoticePublisher
  private readonly timers: NodeJS.Timeout[] = []
  /** The head the last heartbeat saw: its epoch goes on commit notices. */
  private head: OutboxHead | undefined
  /**
   * The newest version this control plane committed since the last heartbeat: a burst of
   * writes followed by a restore can fall between two heartbeats, and only this shows that
   * versions went backwards.
   */
  private committedVersion = 0
  /** The newest committed version not yet announced; commit notices are batched (see below). */
  private unannounced = 0
  private announcing = false

  constructor(
    redisUrl: string,
    private readonly store: Store,
    private readonly log: Logger,
    /** Told of every head a heartbeat read (the outbox tail learns of other writers' versions). */
    private readonly onHead?: (head: OutboxHead) => void
  ) {
    this.publisher = new NoticePublisher(connectRedis(redisUrl))
  }

  /** The control plane's onCommit hook. */
  committed(events: readonly OutboxEvent[]): void {
    const last = events[events.length - 1]
    if (!last) return
    this.committedVersion = Math.max(this.committedVersion, last.version)
    const pending = this.unannounced
    this.unannounced = Math.max(this.unannounced, last.version)
    // A notice is a doorbell: data planes fetch every event after their version, so one notice
    // with the newest version stands for all commits before it. Commits that finish in the same
    // turn of the event loop, or while the previous notice is on its way, share one notice.
    if (pending === 0 && !this.announcing) setImmediate(() => void this.announce())
  }

  private async announce(): Promise<void> {
    this.announcing = true
    try {
      while (this.unannounced > 0) {
        const version = this.unannounced
        this.unannounced = 0
        const epoch = this.head?.epoch
        await this.publisher.publish(epoch ? { type: 'commit', version, epoch } : { type: 'commit', version })
      }
    } finally {
      this.announcing = false
    }
  }

  /** One heartbeat: reads the head, rotates the epoch if versions went backwards, publishes. */
  async heartbeat(): Promise<void> {
    // Taken before the read: every commit it counts is visible to that read.
    const committed = this.committedVersion
    let head = await this.store.head()
    const seen = this.head
    if (seen && seen.epoch === head.epoch && head.version < Math.max(seen.version, committed)) {
      // Same epoch, fewer versions: the database was restored from an older copy. Followers
      // ahead of it would otherwise wait for versions they already have, with other content.
      const epoch = await this.store.rotateEpoch()
      this.log.warn({ was: seen, now: head.version, epoch }, 'outbox versions went backwards; started a new cluster epoch')
      head = await this.store.head()
    }
    this.committedVersion = Math.min(this.committedVersion, head.version)
    this.head = head
    this.onHead?.(head)
    await this.publisher.publish({ type: 'heartbeat', version: head.version, epoch: head.epoch })
  }

  start(): void {
    this.timers.push(
      setInterval(() => {
        this.heartbeat().catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'))
      }, HEARTBEAT_INTERVAL_MS)
    )
    this.timers.push(
      setInterval(() => {
        this.store.pruneEvents(OUTBOX_KEEP).catch((err: unknown) => this.log.warn({ err }, 'outbox prune failed'))
      }, PRUNE_INTERVAL_MS)
    )
    for (const t of this.timers) t.unref()
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    await this.publisher.close()
  }
}
