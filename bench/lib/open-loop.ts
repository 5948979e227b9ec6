// Open-loop load: requests are due at a fixed rate from the start, whatever the answers do,
// round-robin over `targets` senders; a request due while `maxInFlight` are unanswered is
// skipped (counted), not queued, so a stalled proxy shows as skips instead of a slower rate.

export interface OpenLoop {
  /** Stops sending, waits for every answer; how many were sent and skipped. */
  stop(): Promise<{ sent: number; skipped: number }>
}

export function startOpenLoop<T>(opts: {
  rate: number
  maxInFlight: number
  /** How many senders the requests rotate over. */
  targets: number
  send(target: number): Promise<T>
  onAnswer(target: number, answer: T): void
  tickMs?: number
}): OpenLoop {
  let sent = 0
  let skipped = 0
  let inFlight = 0
  let running = true
  const started = performance.now()
  const pending = new Set<Promise<void>>()
  const timer = setInterval(() => {
    if (!running) return
    const due = Math.floor(((performance.now() - started) * opts.rate) / 1000)
    while (sent + skipped < due) {
      if (inFlight >= opts.maxInFlight) {
        skipped++
        continue
      }
      const i = (sent + skipped) % opts.targets
      sent++
      inFlight++
      const p = opts.send(i).then((answer) => {
        inFlight--
        opts.onAnswer(i, answer)
      })
      pending.add(p)
      void p.finally(() => pending.delete(p))
    }
  }, opts.tickMs ?? 1)
  return {
    async stop() {
      running = false
      clearInterval(timer)
      await Promise.all(pending)
      return { sent, skipped }
    },
  }
}
