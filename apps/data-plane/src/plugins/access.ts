// The plugins' access phase for the proxy (ProxyDeps.access): finds the instances that apply
// to the matched route/service (most specific wins, PluginResolver) and runs them in Kong's
// priority order. The first plugin that answers the request ends the phase; headers from
// every plugin that ran are kept. key-auth (1250) runs before rate-limiting (910), so the
// consumer it identifies selects consumer-scoped instances and rate-limit identifiers.

import { RedisRateCounters } from '@switchyard/cluster'
import type { Logger } from '@switchyard/log'
import { randomUUID } from 'node:crypto'
import type { ConfigState } from '../config-state.js'
import { PluginResolver, type PluginInstance } from '../plugin-resolver.js'
import type { AccessContext, AccessResult } from '../proxy-server.js'
import { KeyAuthPlugin } from './key-auth/handler.js'
import { RateLimitingPlugin, type CounterStore } from './rate-limiting/handler.js'
import { LocalCounters } from './rate-limiting/local-counters.js'

type Verdict = AccessResult | undefined

interface AccessPlugin {
  name: string
  /** Kong's handler priority: higher runs first. */
  priority: number
  access(instance: PluginInstance, ctx: AccessContext): Verdict | Promise<Verdict>
}

export interface PluginAccessDeps {
  state: ConfigState
  log: Logger
  /** Wall clock in epoch ms; Date.now by default. */
  now?: () => number
  /** Shared counters for policy `redis`; a RedisRateCounters owned by this runtime by default. */
  counters?: CounterStore & { close?: () => Promise<void> }
}

export interface PluginAccess {
  /** For ProxyDeps.access. */
  access: (ctx: AccessContext) => Verdict | Promise<Verdict>
  /** Node-local rate-limit counters (policy local/cluster). */
  readonly localCounters: LocalCounters
  close(): Promise<void>
}

/** Kong's request ids: 32 hex digits. */
const requestId = () => randomUUID().replaceAll('-', '')

function merge(into: Verdict, from: Verdict): Verdict {
  if (!from) return into
  if (!into) return from
  return { ...into, ...from, headers: { ...into.headers, ...from.headers } }
}

export function createPluginAccess(deps: PluginAccessDeps): PluginAccess {
  const resolver = new PluginResolver(deps.state)
  const localCounters = new LocalCounters()
  const ownsCounters = deps.counters === undefined
  const counters = deps.counters ?? new RedisRateCounters()
  const now = deps.now ?? Date.now
  const rateLimiting = new RateLimitingPlugin({ log: deps.log, now, local: localCounters, redis: counters, requestId })
  const keyAuth = new KeyAuthPlugin({ state: deps.state, log: deps.log, now, requestId })
  const available: AccessPlugin[] = [
    { name: 'key-auth', priority: 1250, access: (i, c) => keyAuth.access(i, c) },
    { name: 'rate-limiting', priority: 910, access: (i, c) => rateLimiting.access(i, c) },
  ]
  const plugins = available.sort((a, b) => b.priority - a.priority)

  /** The instances for this request with the consumer authenticated so far. */
  function applicableFor(ctx: AccessContext): ReadonlyMap<string, PluginInstance> {
    const consumer = ctx.auth?.consumer?.['id']
    return resolver.resolve(ctx.match.route.id, ctx.match.service?.id ?? null, typeof consumer === 'string' ? consumer : null)
  }

  async function runFrom(index: number, ctx: AccessContext, acc: Verdict): Promise<Verdict> {
    for (let i = index; i < plugins.length; i++) {
      const p = plugins[i]!
      const instance = applicableFor(ctx).get(p.name)
      if (!instance) continue
      acc = merge(acc, await p.access(instance, ctx))
      if (acc?.response) return acc
    }
    return acc
  }

  function access(ctx: AccessContext): Verdict | Promise<Verdict> {
    // Consumer-scoped instances can only apply once an auth plugin ran; without any instance
    // for this route/service and no consumer-scoped ones, there is nothing to do.
    if (applicableFor(ctx).size === 0 && !resolver.hasConsumerScoped()) return undefined
    // Stay synchronous while every plugin answers synchronously (the local policy).
    let acc: Verdict
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!
      // Resolved again per plugin: an auth plugin may just have identified the consumer.
      const instance = applicableFor(ctx).get(p.name)
      if (!instance) continue
      const v = p.access(instance, ctx)
      if (v instanceof Promise) {
        const before = acc
        return v.then((r) => {
          const next = merge(before, r)
          return next?.response ? next : runFrom(i + 1, ctx, next)
        })
      }
      acc = merge(acc, v)
      if (acc?.response) return acc
    }
    return acc
  }

  return {
    access,
    localCounters,
    close: async () => {
      if (ownsCounters) await counters.close?.()
    },
  }
}
