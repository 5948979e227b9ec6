// Publishes the control plane's commits on Redis: a notice after each commit and, every
// second, a heartbeat with the newest version in Postgres (so a data plane that missed a
// notice, or follows another control plane, notices the gap). Also trims the outbox.

import { NoticePublisher, connectRedis } from '@switchyard/cluster'
import type { OutboxEvent, Store } from '@switchyard/db'
import type { Logger } from '@switchyard/log'

export const HEARTBEAT_INTERVAL_MS = 1000
/** Outbox rows kept for catch-up; older data planes take a fresh snapshot (410). */
export const OUTBOX_KEEP = 100_000
const PRUNE_INTERVAL_MS = 60_000

export class OutboxPublisher {
  private readonly publisher: NoticePublisher
  private readonly timers: NodeJS.Timeout[] = []

  constructor(
    redisUrl: string,
    private readonly store: Store,
    private readonly log: Logger
  ) {
    this.publisher = new NoticePublisher(connectRedis(redisUrl))
  }

  /** The control plane's onCommit hook. */
  committed(events: readonly OutboxEvent[]): void {
    const last = events[events.length - 1]
    if (!last) return
    void this.publisher.publish({ type: 'commit', version: last.version })
  }

  start(): void {
    this.timers.push(
      setInterval(() => {
        this.store
          .latestVersion()
          .then((version) => this.publisher.publish({ type: 'heartbeat', version }))
          .catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed'))
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
