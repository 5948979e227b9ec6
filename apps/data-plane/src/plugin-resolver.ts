// Which plugin instance applies to a request, as Kong 3.x resolves it (lookup_cfg in
// kong/runloop/plugins_iterator.lua): for each plugin name the most specific enabled instance
// wins — consumer+route+service, consumer+route, consumer+service, route+service, consumer,
// route, service, global. The consumer is the one authenticated so far (auth plugins run
// first). Cached per route/service/consumer until plugins change.

import type { EntityJson } from '@switchyard/cluster'
import type { ConfigState } from './config-state.js'

export interface PluginInstance {
  id: string
  name: string
  config: Record<string, unknown>
  route: string | null
  service: string | null
  consumer: string | null
}

function refId(v: unknown): string | null {
  return (v as { id?: string } | null)?.id ?? null
}

function specificity(p: PluginInstance): number {
  if (p.consumer && p.route && p.service) return 7
  if (p.consumer && p.route) return 6
  if (p.consumer && p.service) return 5
  if (p.route && p.service) return 4
  if (p.consumer) return 3
  if (p.route) return 2
  if (p.service) return 1
  return 0
}

export class PluginResolver {
  /** route id → service id → consumer id → instances; nested so a lookup builds no key string. */
  private cache = new Map<string, Map<string, Map<string, ReadonlyMap<string, PluginInstance>>>>()
  private cachedVersion = -1
  private consumerScoped = false
  private consumerScopedVersion = -1

  constructor(private readonly state: ConfigState) {}

  /** Plugins for a request matched to `routeId` / `serviceId`, by plugin name. */
  resolve(
    routeId: string | null,
    serviceId: string | null,
    consumerId: string | null = null
  ): ReadonlyMap<string, PluginInstance> {
    if (this.cachedVersion !== this.state.pluginsVersion) {
      this.cache = new Map()
      this.cachedVersion = this.state.pluginsVersion
    }
    let byService = this.cache.get(routeId ?? '')
    if (!byService) this.cache.set(routeId ?? '', (byService = new Map()))
    let byConsumer = byService.get(serviceId ?? '')
    if (!byConsumer) byService.set(serviceId ?? '', (byConsumer = new Map()))
    let found = byConsumer.get(consumerId ?? '')
    if (!found) {
      found = this.compute(routeId, serviceId, consumerId)
      byConsumer.set(consumerId ?? '', found)
    }
    return found
  }

  /** Whether any enabled instance is scoped to a consumer (cached per plugins version). */
  hasConsumerScoped(): boolean {
    if (this.consumerScopedVersion !== this.state.pluginsVersion) {
      this.consumerScoped = this.state.list('plugins').some((p) => p['enabled'] !== false && refId(p['consumer']) !== null)
      this.consumerScopedVersion = this.state.pluginsVersion
    }
    return this.consumerScoped
  }

  /** Every enabled instance of one plugin, whatever its scope (e.g. prometheus switches). */
  all(name: string): PluginInstance[] {
    return this.state
      .list('plugins')
      .filter((p) => p['name'] === name && p['enabled'] !== false)
      .map(toInstance)
  }

  private compute(
    routeId: string | null,
    serviceId: string | null,
    consumerId: string | null
  ): ReadonlyMap<string, PluginInstance> {
    const best = new Map<string, PluginInstance>()
    for (const raw of this.state.list('plugins')) {
      if (raw['enabled'] === false) continue
      const p = toInstance(raw)
      if (p.consumer && p.consumer !== consumerId) continue
      if (p.route && p.route !== routeId) continue
      if (p.service && p.service !== serviceId) continue
      const current = best.get(p.name)
      if (!current || specificity(p) > specificity(current)) best.set(p.name, p)
    }
    return best
  }
}

function toInstance(raw: EntityJson): PluginInstance {
  return {
    id: String(raw['id']),
    name: String(raw['name']),
    config: (raw['config'] ?? {}) as Record<string, unknown>,
    route: refId(raw['route']),
    service: refId(raw['service']),
    consumer: refId(raw['consumer']),
  }
}
