// The rate-limiting plugin's access phase: counts a request against every configured period
// of the applicable instance and either lets it through (with the rate-limit headers) or
// answers it (error_code / error_message, Kong's headers).
//
// Policies:
// * `local`   — counters in this process (LocalCounters); each node enforces its own limits.
// * `redis`   — counters shared through Redis: one script call per request increments every
//               period's key (creating it with an expiry at the window's end) and returns the
//               prior usage, so concurrent requests on any number of nodes are counted exactly.
//               As in Kong, a blocked request is counted too. `sync_rate` batching is not
//               implemented: every request is synchronous (sync_rate -1 behaviour).
// * `cluster` — Kong keeps these counters in its database; data planes have none, so the
//               instance counts locally, with a warning logged once per instance.
//
// When the counter store fails: fault_tolerant=true lets the request through without any
// rate-limit headers (logged, at most every 10 s per instance); fault_tolerant=false answers
// 500 "An unexpected error occurred", also without rate-limit headers.

import type { CounterIncrement, RedisCounterTarget } from '@switchyard/cluster'
import type { Logger } from '@switchyard/log'
import type { PluginInstance } from '../../plugin-resolver.js'
import { PROXY_ERRORS } from '../../proxy-errors.js'
import type { AccessContext, AccessResult } from '../../proxy-server.js'
import { blockStatus, limitsOf, redisTargetOf, type RateLimitingConfig } from './config.js'
import { decide, type PeriodUsage } from './decision.js'
import { identifierFor } from './identifier.js'
import { counterKey } from './keys.js'
import type { LocalCounters } from './local-counters.js'
import { windowOf } from './windows.js'

/** The shared counter store (RedisRateCounters in production). */
export interface CounterStore {
  increment(target: RedisCounterTarget, counters: readonly CounterIncrement[]): Promise<number[]>
}

export interface RateLimitingDeps {
  log: Logger
  /** Wall clock, epoch ms (windows are calendar-aligned). */
  now: () => number
  local: LocalCounters
  redis: CounterStore
  /** A request id for error bodies (Kong's request_id). */
  requestId: () => string
}

const FAILURE_LOG_EVERY_MS = 10_000

function idOf(entity: Record<string, unknown> | null | undefined): string | null {
  const id = entity?.['id']
  return typeof id === 'string' ? id : null
}

type Verdict = AccessResult | undefined

export class RateLimitingPlugin {
  private readonly warnedCluster = new Set<string>()
  private readonly failureLoggedAt = new Map<string, number>()

  constructor(private readonly deps: RateLimitingDeps) {}

  access(instance: PluginInstance, ctx: AccessContext): Verdict | Promise<Verdict> {
    const config = instance.config as Partial<RateLimitingConfig>
    const limits = limitsOf(config)
    if (limits.length === 0) return undefined
    const now = this.deps.now()
    const identifier = identifierFor(
      { limit_by: config.limit_by ?? 'consumer', header_name: config.header_name ?? null, path: config.path ?? null },
      {
        clientIp: ctx.clientIp,
        serviceId: ctx.match.service?.id ?? null,
        consumerId: idOf(ctx.auth?.consumer),
        credentialId: idOf(ctx.auth?.credential),
        header: (name) => ctx.req.headersDistinct[name.toLowerCase()]?.[0],
        path: ctx.match.path,
      }
    )
    const periods = limits.map((l) => {
      const window = windowOf(l.period, now)
      return { ...l, window, key: counterKey(instance, identifier, window.start, l.period) }
    })

    if (config.policy === 'redis') {
      const target = redisTargetOf(config)
      if (!target) return this.storeFailed(instance, config, new Error('config.redis.host is not set'))
      const increments = periods.map((p) => ({ key: p.key, ttlMs: p.window.end - now }))
      return this.deps.redis.increment(target, increments).then(
        (prior) => this.verdict(config, periods.map((p, i) => ({ ...p, usage: prior[i] ?? 0 })), now),
        (err: unknown) => this.storeFailed(instance, config, err)
      )
    }

    if (config.policy === 'cluster' && !this.warnedCluster.has(instance.id)) {
      this.warnedCluster.add(instance.id)
      this.deps.log.warn(
        { plugin: instance.id },
        "rate-limiting policy 'cluster' needs a database, which data planes do not have: counting locally on this node (use policy 'redis' to share counters)"
      )
    }
    const local = this.deps.local
    const usages = periods.map((p) => ({ ...p, usage: local.get(p.key, now) }))
    const verdict = this.verdict(config, usages, now)
    // Only requests that pass are counted (Kong's local and cluster policies).
    if (!verdict?.response) for (const p of periods) local.increment(p.key, now, p.window.end)
    return verdict
  }

  private verdict(config: Partial<RateLimitingConfig>, usages: PeriodUsage[], now: number): Verdict {
    const { blocked, headers } = decide(usages, now, config.hide_client_headers === true)
    if (!blocked) return Object.keys(headers).length > 0 ? { headers } : undefined
    return this.errorResponse(blockStatus(config), config.error_message ?? 'API rate limit exceeded', headers)
  }

  private errorResponse(status: number, message: string, headers: Record<string, string>): AccessResult {
    const requestId = this.deps.requestId()
    return {
      response: {
        status,
        body: { message, request_id: requestId },
        headers: { ...headers, 'X-Kong-Request-Id': requestId },
      },
    }
  }

  private storeFailed(instance: PluginInstance, config: Partial<RateLimitingConfig>, err: unknown): Verdict {
    const now = Date.now()
    const last = this.failureLoggedAt.get(instance.id)
    if (last === undefined || now - last >= FAILURE_LOG_EVERY_MS) {
      this.failureLoggedAt.set(instance.id, now)
      this.deps.log.error(
        { err, plugin: instance.id, fault_tolerant: config.fault_tolerant !== false },
        'rate-limiting: failed to get usage'
      )
    }
    if (config.fault_tolerant !== false) return undefined
    return this.errorResponse(PROXY_ERRORS.INTERNAL.status, PROXY_ERRORS.INTERNAL.message, {})
  }
}
