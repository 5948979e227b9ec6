// What every endpoint needs: the store, and the clock and id source. Committed changes reach the
// cluster publisher or the in-process data plane through the store (Store.watchCommits).

import type { Store } from '@switchyard/db'
import type { WriteContext } from '@switchyard/entities'

export interface AdminDeps {
  store: Store
  /** Current time in ms. */
  now(): number
  newId(): string
}

export function writeContext(deps: AdminDeps): WriteContext {
  return { now: deps.now(), newId: deps.newId }
}
