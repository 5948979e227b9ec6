// One coarse timer for many idle timeouts (the request body's client_body_timeout): members
// are stamped with the sweep's tick count when they make progress, and a member untouched for
// longer than `idleMs` expires on the next tick. No timer per member, no refresh per chunk:
// a touch is one field write. A member expires between `idleMs` and `idleMs` plus two periods
// after its last touch; the period is a quarter of `idleMs` (10 ms to 1 s).

export interface IdleMember {
  /** The sweep's tick when the member last made progress (written by the sweep). */
  idleTick: number
  /** Called once, when the member stayed untouched for too long; it is then no longer a member. */
  expire(): void
}

export class IdleSweep {
  readonly periodMs: number
  /** Whole periods a member may stay untouched. */
  private readonly ticks: number
  private tick = 0
  private readonly members = new Set<IdleMember>()
  private timer: NodeJS.Timeout | undefined

  constructor(readonly idleMs: number) {
    this.periodMs = Math.min(1000, Math.max(10, Math.floor(idleMs / 4)))
    this.ticks = Math.ceil(idleMs / this.periodMs)
  }

  add(member: IdleMember): void {
    member.idleTick = this.tick
    this.members.add(member)
    // The timer runs only while something is watched (until the first tick with nothing to
    // watch); the sockets keep the process alive.
    if (this.timer === undefined) {
      this.timer = setInterval(runSweep, this.periodMs, this)
      this.timer.unref()
    }
  }

  touch(member: IdleMember): void {
    member.idleTick = this.tick
  }

  delete(member: IdleMember): void {
    // The timer is left to the next tick to stop: a member leaving and another joining right
    // after (one request ending, the next starting) would otherwise clear and create it each time.
    this.members.delete(member)
  }

  /** One period passed: expires the members untouched for more than `idleMs`. */
  sweep(): void {
    const tick = ++this.tick
    // A touch during the current period is stamped with the previous tick, so strictly more
    // than `ticks` ticks since the stamp means at least `ticks` whole periods without progress.
    for (const member of this.members) {
      if (tick - member.idleTick > this.ticks) {
        this.members.delete(member)
        member.expire()
      }
    }
    if (this.members.size === 0) this.stop()
  }

  get size(): number {
    return this.members.size
  }

  /** Whether the sweep's timer is running. */
  get running(): boolean {
    return this.timer !== undefined
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}

function runSweep(sweep: IdleSweep): void {
  sweep.sweep()
}
