// The standalone bus: control plane and data plane in one process, events handed over
// synchronously after each commit, in version order.

import type { ConfigEvent } from './types.js'

export type EventListener = (events: readonly ConfigEvent[]) => void

export class InProcessBus {
  private readonly listeners = new Set<EventListener>()

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  publish(events: readonly ConfigEvent[]): void {
    if (events.length === 0) return
    for (const l of this.listeners) l(events)
  }
}
