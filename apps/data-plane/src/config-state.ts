// The data plane's view of the configuration: entities by id, the compiled router and one
// balancer per upstream. Snapshots replace everything; events apply incrementally — a target
// change touches only its upstream's balancer (health flags and counters survive), a route or
// service change marks the router for a rebuild before the next request.

import { Balancer, isAlgorithmName, type TargetConfig, type UpstreamConfig } from '@switchyard/balancer'
import { configHash, type ConfigEvent, type EntityJson, type EntityKind, type Snapshot } from '@switchyard/cluster'
import type { RouteConfig, ServiceConfig, UpstreamHashConfig } from './route-types.js'
import { buildRouter, type Router } from './router.js'

export interface BalancedUpstream {
  entity: EntityJson & UpstreamHashConfig & { id: string; name: string }
  balancer: Balancer
}

export interface ConfigStateDeps {
  now: () => number
  random: () => number
}

function asUpstreamConfig(u: EntityJson): UpstreamConfig {
  const algorithm = String(u['algorithm'])
  const hc = u['healthchecks'] as { threshold?: number } | null
  return {
    id: String(u['id']),
    name: String(u['name']),
    algorithm: isAlgorithmName(algorithm) ? algorithm : 'round-robin',
    slots: Number(u['slots'] ?? 10000),
    healthchecks: { threshold: Number(hc?.threshold ?? 0) },
  }
}

function asTargetConfig(t: EntityJson): TargetConfig {
  return {
    id: String(t['id']),
    target: String(t['target']),
    weight: Number(t['weight'] ?? 100),
    backup: t['backup'] === true,
  }
}

function upstreamIdOf(target: EntityJson): string | undefined {
  return (target['upstream'] as { id?: string } | null)?.id
}

export class ConfigState {
  version = 0
  /** The cluster epoch of the last snapshot loaded; versions compare only within it. */
  epoch: string | undefined
  private readonly entities: Record<EntityKind, Map<string, EntityJson>> = {
    upstreams: new Map(),
    targets: new Map(),
    services: new Map(),
    routes: new Map(),
    plugins: new Map(),
  }
  private readonly balancers = new Map<string, BalancedUpstream>()
  private readonly upstreamIdByName = new Map<string, string>()
  private routerCache: Router | undefined
  private hashCache: { version: number; hash: string } | undefined
  /** Bumped on every plugin change, so plugin lookups can cache per version. */
  pluginsVersion = 0

  /** Told after every change: the upstream whose balancer changed, or undefined for "all". */
  onChange: ((upstreamId: string | undefined) => void) | undefined

  constructor(private readonly deps: ConfigStateDeps) {}

  /** Replaces the whole configuration. Balancers of upstreams that still exist keep their state. */
  loadSnapshot(snapshot: Snapshot): void {
    for (const kind of Object.keys(this.entities) as EntityKind[]) {
      this.entities[kind] = new Map(snapshot.entities[kind].map((e) => [String(e['id']), e]))
    }
    const keep = new Set(this.entities.upstreams.keys())
    for (const id of [...this.balancers.keys()]) if (!keep.has(id)) this.dropBalancer(id)
    for (const u of this.entities.upstreams.values()) this.syncUpstream(u)
    this.routerCache = undefined
    this.pluginsVersion++
    this.version = snapshot.version
    this.epoch = snapshot.epoch
    // The same version number may name other content now (another epoch, a restored backup).
    this.hashCache = undefined
    this.onChange?.(undefined)
  }

  /** Applies one event; events at or below the current version are ignored. */
  apply(event: ConfigEvent): void {
    if (event.version <= this.version) return
    const map = this.entities[event.entity]
    const payload = event.payload
    if (event.op === 'delete') {
      const old = map.get(event.id) ?? payload
      map.delete(event.id)
      if (event.entity === 'upstreams') this.dropUpstream(event.id)
      // Deleting a route or service cascades to its plugins, as in the database.
      if (event.entity === 'routes' || event.entity === 'services') this.dropPluginsOf(event.entity, event.id)
      if (event.entity === 'targets' && old) {
        const uid = upstreamIdOf(old)
        if (uid) this.balancers.get(uid)?.balancer.removeTarget(event.id)
      }
    } else if (payload) {
      const old = map.get(event.id)
      map.set(event.id, payload)
      if (event.entity === 'upstreams') this.syncUpstream(payload, old)
      if (event.entity === 'targets') {
        const uid = upstreamIdOf(payload)
        const balanced = uid ? this.balancers.get(uid) : undefined
        balanced?.balancer.upsertTarget(asTargetConfig(payload))
      }
    }
    if (event.entity === 'routes' || event.entity === 'services') this.routerCache = undefined
    if (event.entity === 'plugins') this.pluginsVersion++
    this.version = event.version
    if (event.entity === 'upstreams') this.onChange?.(event.id)
    else if (event.entity === 'targets') {
      const uid = upstreamIdOf(payload ?? {})
      if (uid) this.onChange?.(uid)
    }
  }

  get router(): Router {
    if (!this.routerCache) {
      this.routerCache = buildRouter(
        [...this.entities.routes.values()] as unknown as RouteConfig[],
        [...this.entities.services.values()] as unknown as ServiceConfig[]
      )
    }
    return this.routerCache
  }

  /** The balanced upstream a service host names, if any. */
  upstreamByName(name: string): BalancedUpstream | undefined {
    const id = this.upstreamIdByName.get(name)
    return id ? this.balancers.get(id) : undefined
  }

  upstreamById(id: string): BalancedUpstream | undefined {
    return this.balancers.get(id)
  }

  get upstreams(): IterableIterator<BalancedUpstream> {
    return this.balancers.values()
  }

  /** The whole configuration as a snapshot (for the cache file). */
  snapshot(): Snapshot {
    return {
      epoch: this.epoch,
      version: this.version,
      entities: {
        upstreams: this.list('upstreams'),
        targets: this.list('targets'),
        services: this.list('services'),
        routes: this.list('routes'),
        plugins: this.list('plugins'),
      },
    }
  }

  /** The configuration hash, cached per version; equals the control plane's for the same version. */
  hash(): string {
    if (this.hashCache?.version !== this.version) {
      this.hashCache = { version: this.version, hash: configHash(this.snapshot().entities) }
    }
    return this.hashCache.hash
  }

  list(kind: EntityKind): EntityJson[] {
    return [...this.entities[kind].values()]
  }

  private targetsOf(upstreamId: string): TargetConfig[] {
    const out: TargetConfig[] = []
    for (const t of this.entities.targets.values()) {
      if (upstreamIdOf(t) === upstreamId) out.push(asTargetConfig(t))
    }
    return out
  }

  private syncUpstream(u: EntityJson, old?: EntityJson): void {
    const id = String(u['id'])
    const entity = u as BalancedUpstream['entity']
    const existing = this.balancers.get(id)
    if (old && old['name'] !== u['name']) this.upstreamIdByName.delete(String(old['name']))
    this.upstreamIdByName.set(String(u['name']), id)
    if (existing) {
      existing.entity = entity
      existing.balancer.updateUpstream(asUpstreamConfig(u))
      existing.balancer.setTargets(this.targetsOf(id))
      return
    }
    const balancer = new Balancer(asUpstreamConfig(u), this.targetsOf(id), this.deps)
    this.balancers.set(id, { entity, balancer })
  }

  private dropPluginsOf(kind: 'routes' | 'services', id: string): void {
    const field = kind === 'routes' ? 'route' : 'service'
    for (const [pid, p] of this.entities.plugins) {
      if ((p[field] as { id?: string } | null)?.id === id) {
        this.entities.plugins.delete(pid)
        this.pluginsVersion++
      }
    }
  }

  private dropUpstream(id: string): void {
    this.dropBalancer(id)
    // Deleting an upstream cascades to its targets.
    for (const [tid, t] of this.entities.targets) if (upstreamIdOf(t) === id) this.entities.targets.delete(tid)
  }

  private dropBalancer(id: string): void {
    const b = this.balancers.get(id)
    if (b) this.upstreamIdByName.delete(b.entity.name)
    this.balancers.delete(id)
  }
}
