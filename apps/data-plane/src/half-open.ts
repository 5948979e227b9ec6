// Half-open recovery for passive-only upstreams (an extension beyond Kong, off by default):
// Kong's passive checks can only eject, so without active probes an ejected target stays out
// until someone marks it healthy. With a cooldown set, a target ejected on an upstream that has
// no active checks is let back into this node's balancer for a trial after the cooldown; the
// first proxied outcome decides: a success marks it healthy cluster-wide (through the store),
// a failure ejects it again for another cooldown.

import {
  activeEnabled,
  passiveOutcome,
  type HealthChange,
  type HealthStore,
  type HealthchecksJson,
} from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import type { ConfigState } from './config-state.js'
import type { AttemptOutcome } from './proxy-server.js'

const TICK_MS = 250

export interface HalfOpenOptions {
  state: ConfigState
  store: HealthStore
  log: Logger
  /** Cooldown before a trial, ms; 0 disables the feature. */
  cooldownMs: number
  now?: () => number
}

interface Ejected {
  upstreamId: string
  target: string
  since: number
  trial: boolean
}

export class HalfOpen {
  private readonly ejected = new Map<string, Ejected>()
  private timer: NodeJS.Timeout | undefined
  private unsubscribe: (() => void) | undefined
  private readonly now: () => number

  constructor(private readonly opts: HalfOpenOptions) {
    this.now = opts.now ?? Date.now
  }

  start(): void {
    if (this.opts.cooldownMs <= 0) return
    this.unsubscribe = this.opts.store.subscribe((c) => this.onFlip(c))
    this.timer = setInterval(() => this.tick(), Math.min(TICK_MS, this.opts.cooldownMs))
    this.timer.unref()
  }

  private onFlip(c: HealthChange): void {
    const key = `${c.upstreamId}|${c.target}`
    if (c.status === 'healthy') this.ejected.delete(key)
    else this.ejected.set(key, { upstreamId: c.upstreamId, target: c.target, since: this.now(), trial: false })
  }

  /** Opens trials whose cooldown has passed, on upstreams that have no active checks. */
  tick(): void {
    const t = this.now()
    for (const e of this.ejected.values()) {
      if (e.trial || t - e.since < this.opts.cooldownMs) continue
      const u = this.opts.state.upstreamById(e.upstreamId)
      if (!u) {
        this.ejected.delete(`${e.upstreamId}|${e.target}`)
        continue
      }
      if (activeEnabled(u.entity['healthchecks'] as HealthchecksJson | null)) continue
      e.trial = true
      u.balancer.setHealth(e.target, true)
      this.opts.log.info({ upstream: u.entity.name, target: e.target }, 'half-open: trial traffic allowed')
    }
  }

  /** Decides a trial on its first proxied outcome. */
  record(attempt: AttemptOutcome): void {
    const u = attempt.upstream
    const target = attempt.peer.target
    if (!u || !target) return
    const key = `${u.entity.id}|${target}`
    const e = this.ejected.get(key)
    if (!e?.trial) return
    const hc = u.entity['healthchecks'] as HealthchecksJson | null
    const outcome = attempt.failure ? 'failure' : passiveOutcome(hc, attempt.status ?? 0)
    if (outcome === 'success') {
      this.ejected.delete(key)
      this.opts.store.set(u.entity.id, target, 'healthy').catch((err: unknown) => this.opts.log.warn({ err }, 'half-open: cannot mark healthy'))
    } else if (outcome !== undefined) {
      e.trial = false
      e.since = this.now()
      u.balancer.setHealth(target, false)
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.unsubscribe?.()
  }
}
