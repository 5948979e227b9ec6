// What every endpoint needs: the store, the clock and id source, and a hook that sees each
// committed batch of changes (the cluster publisher, or the in-process data plane).

import type { OutboxEvent, Store } from '@switchyard/db'
import type { WriteContext } from '@switchyard/entities'

export interface AdminDeps {
  store: Store
  /** Current time in ms. */
  now(): number
  newId(): string
  /** Called after each commit with its events, in version order. */
  onCommit(events: OutboxEvent[]): void
}

export function writeContext(deps: AdminDeps): WriteContext {
  return { now: deps.now(), newId: deps.newId }
}
