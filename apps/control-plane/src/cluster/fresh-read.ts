// One read shared by every caller that asked before it was sent (the events endpoint's outbox
// bounds, with fifty data planes asking at once).

/**
 * One read (the outbox bounds) shared by every request that arrived before it was sent: a request
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
