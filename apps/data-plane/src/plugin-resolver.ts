// Which plugin instance applies to a request, as Kong resolves it: for each plugin name the
// most specific enabled instance wins — route and service, then route, then service, then
// global (consumer scopes are not served). Cached per route/service until plugins change.

import type { EntityJson } from '@switchyard/cluster'
import type { ConfigState } from './config-state.js'

export interface PluginInstance {
  id: string
  name: string
  config: Record<string, unknown>
  route: string | null
  service: string | null
}

function refId(v: unknown): string | null {
  return (v as { id?: string } | null)?.id ?? null
}

function specificity(p: PluginInstance): number {
  if (p.route && p.service) return 3
  if (p.route) return 2
  if (p.service) return 1
  return 0
}

export class PluginResolver {
  private cache = new Map<string, ReadonlyMap<string, PluginInstance>>()
  private cachedVersion = -1

  constructor(private readonly state: ConfigState) {}

  /** Plugins for a request matched to `routeId` / `serviceId`, by plugin name. */
  resolve(routeId: string | null, serviceId: string | null): ReadonlyMap<string, PluginInstance> {
    if (this.cachedVersion !== this.state.pluginsVersion) {
      this.cache = new Map()
      this.cachedVersion = this.state.pluginsVersion
    }
    const key = `${routeId ?? ''}|${serviceId ?? ''}`
    let found = this.cache.get(key)
    if (!found) {
      found = this.compute(routeId, serviceId)
      this.cache.set(key, found)
    }
    return found
  }

  /** Every enabled instance of one plugin, whatever its scope (e.g. prometheus switches). */
  all(name: string): PluginInstance[] {
    return this.state
      .list('plugins')
      .filter((p) => p['name'] === name && p['enabled'] !== false)
      .map(toInstance)
  }

  private compute(routeId: string | null, serviceId: string | null): ReadonlyMap<string, PluginInstance> {
    const best = new Map<string, PluginInstance>()
    for (const raw of this.state.list('plugins')) {
      if (raw['enabled'] === false) continue
      const p = toInstance(raw)
      if (refId(raw['consumer'])) continue
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
  }
}
