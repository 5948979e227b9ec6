// AI-aware balancing on one data plane (or the standalone gateway): turns provider answers into
// cluster-wide cooldowns and de-weighting, keeps per-target rpm/tpm budgets with reservations,
// feeds `lowest-usage` with the cluster's token counts, and ramps targets back in (slow start).
// The balancer only ever sees a share of each target's weight (0 = out of rotation) and a usage
// figure; the rules live in packages/ai, the shared state in the AI store (packages/health).
//
// Per request the proxy asks, per attempt: `needsAdmission` (a target with a budget: one Redis
// round trip to reserve), `onResponse` (signals: cooldown, remaining share, fail over or not),
// and at the end `settle` (tokens used, asynchronously). Upstreams that use none of this cost a
// few property reads per response.

import {
  aiSettingsOf,
  budgetWindow,
  decideCooldown,
  hasBudget,
  isFailoverStatus,
  isTransient,
  readSignals,
  reservationFor,
  settledTokens,
  shareAt,
  usageInWeightUnits,
  wantsErrorBody,
  hasRateLimitHeaders,
  type AiSettings,
  type BudgetCounts,
  type BudgetLimits,
  type Headers,
  type ShareState,
} from '@switchyard/ai'
import type { Peer } from '@switchyard/balancer'
import type { AiStateStore } from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import type { BalancedUpstream, ConfigState } from './config-state.js'

/** How often time-driven shares (cooldown ends, ramps, window resets) are revisited. */
export const AI_TICK_MS = 50
/** How long start-up waits for the shared store before serving without its state. */
export const START_LOAD_WAIT_MS = 3000
/** How often state that could not be read is asked for again. */
const LOAD_RETRY_MS = 500
/** How often lowest-usage upstreams read the cluster's token counts. */
export const USAGE_POLL_MS = 250
/** A node writes a target's remaining share at most this often, unless it moved a lot. */
const REMAINING_WRITE_MS = 500
const REMAINING_WRITE_DELTA = 0.05

/** What the runtime tells metrics. */
export interface AiEvents {
  cooldown(upstream: string, target: string, reason: string): void
  failover(upstream: string, reason: string): void
  exhausted(upstream: string): void
  tokens(upstream: string, target: string, tokens: number): void
}

/** One attempt's claim on a target's budget, settled when the attempt ends. */
export interface Ticket {
  upstreamId: string
  upstreamName: string
  target: string
  window: number
  estimate: number
  /** Whether a reservation was taken in the store (budgets) or only usage is counted. */
  reserved: boolean
  settled: boolean
}

interface TargetView extends ShareState {
  reason?: string
  /** Whether the target was usable at the last look (for slow-start transitions). */
  wasIn?: boolean
  lastWrite?: { share: number; until: number; at: number }
}

interface UpstreamView {
  targets: Map<string, TargetView>
}

export interface AiRuntimeOptions {
  state: ConfigState
  store: AiStateStore
  log: Logger
  /** Wall clock, epoch ms (cooldowns are shared across machines). */
  now?: () => number
  tickMs?: number
  events?: AiEvents
}

function limitsOf(target: Record<string, unknown> | undefined): BudgetLimits {
  const rpm = target?.['rpm']
  const tpm = target?.['tpm']
  return { rpm: typeof rpm === 'number' ? rpm : null, tpm: typeof tpm === 'number' ? tpm : null }
}

export class AiRuntime {
  private readonly views = new Map<string, UpstreamView>()
  /** Upstreams with something time-driven going on. */
  private readonly active = new Set<string>()
  /** Upstreams whose shared state could not be read yet. */
  private readonly unloaded = new Set<string>()
  private lastRetry = 0
  private readonly settings = new WeakMap<object, AiSettings>()
  private readonly now: () => number
  private timers: NodeJS.Timeout[] = []
  private unsubscribe: (() => void)[] = []
  events: AiEvents | undefined

  constructor(private readonly opts: AiRuntimeOptions) {
    this.now = opts.now ?? Date.now
    this.events = opts.events
  }

  async start(): Promise<void> {
    this.unsubscribe.push(this.opts.store.subscribe((u) => void this.reload(u)))
    this.unsubscribe.push(this.opts.store.onResync(() => void this.reloadAll()))
    this.unsubscribe.push(
      this.opts.state.onChange((u) => {
        if (u === undefined) void this.reloadAll()
        else this.refresh(u)
      })
    )
    // A restarted node must not send to targets the cluster is holding back: give the shared
    // store a few moments to answer before serving (it keeps retrying afterwards if it did not).
    const until = this.now() + START_LOAD_WAIT_MS
    await this.reloadAll()
    while (this.unloaded.size > 0 && this.now() < until) {
      await new Promise((r) => setTimeout(r, 100))
      await this.reloadAll([...this.unloaded])
    }
    const tick = setInterval(() => this.tick(), this.opts.tickMs ?? AI_TICK_MS)
    tick.unref()
    const poll = setInterval(() => void this.pollUsage(), USAGE_POLL_MS)
    poll.unref()
    this.timers.push(tick, poll)
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    for (const u of this.unsubscribe) u()
    this.unsubscribe = []
  }

  /** The upstream's AI settings, cached per stored object. */
  settingsOf(u: BalancedUpstream): AiSettings {
    const record = u.entity as object
    let s = this.settings.get(record)
    if (!s) {
      s = aiSettingsOf(u.entity['ai'])
      this.settings.set(record, s)
    }
    return s
  }

  private slowStartMs(u: BalancedUpstream): number {
    const s = u.entity['slow_start']
    return typeof s === 'number' && s > 0 ? s * 1000 : 0
  }

  private view(upstreamId: string): UpstreamView {
    let v = this.views.get(upstreamId)
    if (!v) {
      v = { targets: new Map() }
      this.views.set(upstreamId, v)
    }
    return v
  }

  private targetView(upstreamId: string, target: string): TargetView {
    const v = this.view(upstreamId)
    let t = v.targets.get(target)
    if (!t) {
      t = {}
      v.targets.set(target, t)
    }
    return t
  }

  // ---- shared state in ----

  /** Reloads the given upstreams (default: every one). */
  async reloadAll(ids: string[] = [...this.opts.state.upstreams].map((u) => u.entity.id)): Promise<void> {
    await Promise.all(ids.map((id) => this.reload(id)))
  }

  /** Reads an upstream's cooldowns and windows from the store (a doorbell rang). */
  async reload(upstreamId: string): Promise<void> {
    if (!this.opts.state.upstreamById(upstreamId)) {
      this.unloaded.delete(upstreamId)
      return
    }
    let states
    try {
      states = await this.opts.store.states(upstreamId, this.now())
      this.unloaded.delete(upstreamId)
    } catch (err) {
      // Retried by the tick until the store answers (a resync also reloads everything).
      this.unloaded.add(upstreamId)
      this.opts.log.debug({ err }, 'cannot load AI balancing state')
      return
    }
    const v = this.view(upstreamId)
    for (const [target, st] of states) {
      const t = this.targetView(upstreamId, target)
      // The store keeps the later of two cooldowns; a local one still being written may be later.
      if (st.cooldown && (t.coolUntil === undefined || st.cooldown.until > t.coolUntil)) {
        t.coolUntil = st.cooldown.until
        t.reason = st.cooldown.reason
      }
      if (st.remaining) t.remaining = { share: st.remaining.share, until: st.remaining.until }
    }
    for (const [target, t] of v.targets) if (!states.has(target) && t.remaining) delete t.remaining
    this.refresh(upstreamId)
  }

  // ---- shares out ----

  /** Recomputes every target's share of one upstream and hands it to the balancer. */
  refresh(upstreamId: string): void {
    const u = this.opts.state.upstreamById(upstreamId)
    if (!u) {
      this.views.delete(upstreamId)
      this.active.delete(upstreamId)
      return
    }
    const now = this.now()
    const slow = this.slowStartMs(u)
    let transient = false
    for (const peer of u.balancer.peers()) if (this.applyPeer(u, peer, now, slow)) transient = true
    if (transient) this.active.add(upstreamId)
    else this.active.delete(upstreamId)
  }

  /** The same for one target (a response's signals touch only the target that answered). */
  private refreshTarget(u: BalancedUpstream, target: string): void {
    const peer = u.balancer.peer(target)
    if (peer && this.applyPeer(u, peer, this.now(), this.slowStartMs(u))) this.active.add(u.entity.id)
  }

  /** Sets one peer's share from its view; true while time alone can still change it. */
  private applyPeer(u: BalancedUpstream, peer: Peer, now: number, slow: number): boolean {
    const upstreamId = u.entity.id
    let t = this.views.get(upstreamId)?.targets.get(peer.target)
    const isIn = peer.available && peer.weight > 0 && !(t?.coolUntil !== undefined && t.coolUntil > now)
    if (slow > 0) {
      t ??= this.targetView(upstreamId, peer.target)
      // Back from unhealthy, cooldown or weight 0: ramp in. A target seen for the first time
      // starts at full share (a fresh upstream must not start at 5 %).
      if (isIn && t.wasIn === false) t.rampFrom = now
      t.wasIn = isIn
    }
    if (!t) {
      if (peer.share !== 1) u.balancer.setShare(peer.id, 1)
      return false
    }
    if (t.coolUntil !== undefined && t.coolUntil <= now) {
      delete t.coolUntil
      delete t.reason
    }
    if (t.rampFrom !== undefined && now - t.rampFrom >= slow) delete t.rampFrom
    const share = shareAt(t, now, slow)
    if (peer.share !== share) u.balancer.setShare(peer.id, share)
    // Slow-start upstreams stay watched: a health flip or a weight change starts a ramp.
    return isTransient(t, now, slow) || slow > 0
  }

  private tick(): void {
    for (const id of this.active) this.refresh(id)
    const now = this.now()
    if (this.unloaded.size > 0 && now - this.lastRetry >= LOAD_RETRY_MS) {
      this.lastRetry = now
      void this.reloadAll([...this.unloaded])
    }
  }

  // ---- per attempt ----

  /** Whether an attempt on this target must reserve budget first (a round trip). */
  needsAdmission(peer: Peer): boolean {
    const t = this.opts.state.get('targets', peer.id)
    return t !== undefined && (t['rpm'] != null || t['tpm'] != null)
  }

  /** Whether the response's token usage is needed (tpm budgets, lowest-usage). */
  wantsUsage(u: BalancedUpstream, peer: Peer): boolean {
    return u.balancer.algorithm === 'lowest-usage' || this.opts.state.get('targets', peer.id)?.['tpm'] != null
  }

  private ticket(u: BalancedUpstream, peer: Peer, limits: BudgetLimits, body: Buffer | null | undefined, reserved: boolean): Ticket {
    const lowest = u.balancer.algorithm === 'lowest-usage'
    // Only tpm budgets and lowest-usage count tokens; an rpm-only budget needs no estimate.
    const estimate = limits.tpm !== null || lowest ? reservationFor(body, this.settingsOf(u).token_reservation) : 0
    // Counted at once, so picks between two reads of the cluster's counts do not all land on
    // the same target.
    if (lowest) u.balancer.addUsage(peer.id, usageInWeightUnits(estimate, peer.weight, limits.tpm))
    return {
      upstreamId: u.entity.id,
      upstreamName: u.entity.name,
      target: peer.target,
      window: budgetWindow(this.now()).start,
      estimate,
      reserved,
      settled: false,
    }
  }

  /** An attempt on a target without a budget whose usage must be counted (lowest-usage, tpm). */
  track(u: BalancedUpstream, peer: Peer, body: Buffer | null | undefined): Ticket {
    return this.ticket(u, peer, limitsOf(this.opts.state.get('targets', peer.id)), body, false)
  }

  /**
   * Reserves one request and the body's token estimate on a target with a budget. Undefined
   * means the target is over budget: it is cooled down until its window rolls, on every node,
   * and the caller picks again.
   */
  async admit(u: BalancedUpstream, peer: Peer, body: Buffer | null | undefined): Promise<Ticket | undefined> {
    const limits = limitsOf(this.opts.state.get('targets', peer.id))
    const ticket = this.ticket(u, peer, limits, body, true)
    let reservation
    try {
      reservation = await this.opts.store.reserve(u.entity.id, peer.target, ticket.window, limits, ticket.estimate)
    } catch (err) {
      // The shared store is down: serve rather than refuse; the budget is best effort meanwhile.
      this.opts.log.debug({ err }, 'budget reservation failed; admitting')
      return { ...ticket, reserved: false }
    }
    if (reservation.ok) return ticket
    this.startCooldown(u, peer.target, budgetWindow(this.now()).end, 'budget', 'window')
    return undefined
  }

  /** Whether to read a small error body for a wait hint (Gemini's retryDelay). */
  wantsBody(u: BalancedUpstream, status: number): boolean {
    return wantsErrorBody(status, this.settingsOf(u))
  }

  /**
   * Reads the provider's signals off a response. Starts a cooldown or updates the target's
   * remaining share as they say, and returns true when the request should fail over.
   */
  onResponse(u: BalancedUpstream, peer: Peer, status: number, headers: Headers, errorBody: string | undefined): boolean {
    const settings = this.settingsOf(u)
    if (!settings.signals) return false
    const limited = status === 429 || status === 503 || status === 529
    if (!limited && !hasRateLimitHeaders(headers)) return false
    const now = this.now()
    const signals = readSignals(headers, errorBody, now)
    const decision = decideCooldown(status, signals, settings)
    if (decision) this.startCooldown(u, peer.target, now + decision.ms, decision.reason, decision.source)
    const r = signals.remaining
    if (r) this.noteRemaining(u, peer.target, { share: r.share, until: now + r.resetMs, requests: r.requests, tokens: r.tokens }, now)
    const failover = isFailoverStatus(status, signals, settings)
    if (failover) this.events?.failover(u.entity.name, decision?.reason ?? 'rate_limited')
    return failover
  }

  /** A connect error or timeout made the request move to another target. */
  noteFailover(u: BalancedUpstream, reason: string): void {
    this.events?.failover(u.entity.name, reason)
  }

  private startCooldown(u: BalancedUpstream, target: string, until: number, reason: string, source: string): void {
    const t = this.targetView(u.entity.id, target)
    const now = this.now()
    const fresh = t.coolUntil === undefined || t.coolUntil <= now
    if (!fresh && t.coolUntil! >= until) return
    t.coolUntil = until
    t.reason = reason
    if (fresh) {
      // Once per cooldown on the node that saw the answer; other nodes learn it silently.
      this.opts.log.info({ upstream: u.entity.name, target, reason, source, ms: Math.round(until - now) }, 'target cooling down')
      this.events?.cooldown(u.entity.name, target, reason)
    }
    this.refreshTarget(u, target)
    this.opts.store.coolDown(u.entity.id, target, until, reason).catch((err: unknown) => {
      this.opts.log.warn({ err, upstream: u.entity.name, target }, 'cannot share cooldown')
    })
  }

  private noteRemaining(
    u: BalancedUpstream,
    target: string,
    seen: { share: number; until: number; requests: number | undefined; tokens: number | undefined },
    now: number
  ): void {
    const { share, until } = seen
    const t = this.targetView(u.entity.id, target)
    t.remaining = { share, until }
    this.refreshTarget(u, target)
    const last = t.lastWrite
    // Every node sees every answer it proxies; the store needs only the moves that matter.
    const due = !last || now - last.at >= REMAINING_WRITE_MS || Math.abs(last.share - share) >= REMAINING_WRITE_DELTA || until > last.until + 1000
    if (!due) return
    t.lastWrite = { share, until, at: now }
    const stored = { share, until, ...(seen.requests !== undefined ? { requests: seen.requests } : {}), ...(seen.tokens !== undefined ? { tokens: seen.tokens } : {}) }
    this.opts.store.reportRemaining(u.entity.id, target, stored).catch((err: unknown) => {
      this.opts.log.debug({ err }, 'cannot share remaining window')
    })
  }

  /**
   * Ends an attempt's claim: the tokens the response reported (the reservation when unknown)
   * are counted; `reached` false gives the request back (it never got to the provider).
   */
  settle(ticket: Ticket | undefined, reportedTokens: number | undefined, reached: boolean): void {
    if (!ticket || ticket.settled) return
    ticket.settled = true
    const tokens = reached ? settledTokens(reportedTokens, ticket.estimate) : 0
    if (tokens > 0) this.events?.tokens(ticket.upstreamName, ticket.target, tokens)
    if (!ticket.reserved && tokens === 0) return
    const estimate = ticket.reserved ? ticket.estimate : 0
    this.opts.store.settle(ticket.upstreamId, ticket.target, ticket.window, estimate, tokens, ticket.reserved && !reached).catch((err: unknown) => {
      this.opts.log.debug({ err }, 'cannot settle budget')
    })
  }

  /**
   * When no target could be picked: ms until the soonest cooling target comes back, if the
   * upstream has any (the answer is then 429 with Retry-After), else undefined.
   */
  exhaustedFor(u: BalancedUpstream): number | undefined {
    const v = this.views.get(u.entity.id)
    if (!v) return undefined
    const now = this.now()
    let soonest: number | undefined
    for (const t of v.targets.values()) {
      if (t.coolUntil !== undefined && t.coolUntil > now && (soonest === undefined || t.coolUntil < soonest)) soonest = t.coolUntil
    }
    if (soonest === undefined) return undefined
    this.events?.exhausted(u.entity.name)
    return soonest - now
  }

  // ---- lowest-usage ----

  private async pollUsage(): Promise<void> {
    const window = budgetWindow(this.now()).start
    for (const u of this.opts.state.upstreams) {
      if (u.balancer.algorithm !== 'lowest-usage') continue
      let counts: Map<string, BudgetCounts>
      try {
        counts = await this.opts.store.usage(u.entity.id, window)
      } catch {
        continue
      }
      for (const peer of u.balancer.peers()) {
        const c = counts.get(peer.target)
        const used = c ? c.tokens + Math.max(0, c.reserved) : 0
        u.balancer.setUsage(peer.id, usageInWeightUnits(used, peer.weight, limitsOf(this.opts.state.get('targets', peer.id)).tpm))
      }
    }
  }

  /** Local view of one target, for tests and the status endpoint. */
  describe(upstreamId: string, target: string): Readonly<TargetView> | undefined {
    return this.views.get(upstreamId)?.targets.get(target)
  }
}
