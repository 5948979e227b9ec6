// The data plane's view of the configuration: entities by id, the compiled router and one
// balancer per upstream. Snapshots replace everything; events apply incrementally — a target
// change touches only its upstream's balancer (health flags and counters survive), a route or
// service change marks the route or service for the next request, which recompiles just the
// routes it names and moves their entries in the router's index in place (see RouterBuilder), and the config hash is a running sum updated per
// entity (ConfigHashSum), never recomputed from the whole config for a new version.

import { Balancer, isAlgorithmName, type TargetConfig, type UpstreamConfig } from '@switchyard/balancer'
import {
  ConfigHashSum,
  entityDigest,
  ENTITY_KINDS,
  type ConfigEvent,
  type EntityJson,
  type EntityKind,
  type Snapshot,
} from '@switchyard/cluster'
import type { RouteConfig, ServiceConfig, UpstreamHashConfig } from './route-types.js'
import { RouterBuilder } from './router-builder.js'
import type { Router } from './router.js'

export interface BalancedUpstream {
  entity: EntityJson & UpstreamHashConfig & { id: string; name: string }
  balancer: Balancer
}

const TLS_KINDS = new Set<EntityKind>(['certificates', 'snis', 'ca_certificates'])

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
  private readonly entities = Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Map()])) as Record<
    EntityKind,
    Map<string, EntityJson>
  >
  /** Target ids per upstream id, so an upstream change reads its own targets, not all 10,000. */
  private readonly targetIdsByUpstream = new Map<string, Set<string>>()
  /**
   * The running config hash and each entity's digest in it, built on the first hash() and then
   * kept up to date by every entity change (undefined until someone asks).
   */
  private hashState: { sum: ConfigHashSum; digests: Record<EntityKind, Map<string, bigint>> } | undefined
  private readonly balancers = new Map<string, BalancedUpstream>()
  private readonly upstreamIdByName = new Map<string, string>()
  private routerCache: Router | undefined
  private readonly routerBuilder = new RouterBuilder()
  /** Routes and services changed since the router was last brought up to date (by id). */
  private readonly routesChanged = new Set<string>()
  private readonly servicesChanged = new Set<string>()
  /** Bumped on every plugin change, so plugin lookups can cache per version. */
  pluginsVersion = 0
  /** key-auth credentials by key; rebuilt after a credential or consumer change. */
  private keyIndex: Map<string, EntityJson> | undefined
  private usernameIndex: Map<string, EntityJson> | undefined
  /** Bumped on every certificate, SNI or CA certificate change (TLS contexts cache per version). */
  tlsVersion = 0

  private readonly changeListeners = new Set<(upstreamId: string | undefined) => void>()

  constructor(private readonly deps: ConfigStateDeps) {}

  /**
   * Told after every change: the upstream whose balancer changed, or undefined for "all".
   * Returns the function that stops it.
   */
  onChange(listener: (upstreamId: string | undefined) => void): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
  }

  private changed(upstreamId: string | undefined): void {
    for (const l of this.changeListeners) l(upstreamId)
  }


  /** Replaces the whole configuration. Balancers of upstreams that still exist keep their state. */
  loadSnapshot(snapshot: Snapshot): void {
    for (const kind of ENTITY_KINDS) {
      this.entities[kind] = new Map((snapshot.entities[kind] ?? []).map((e) => [String(e['id']), e]))
    }
    this.targetIdsByUpstream.clear()
    for (const [id, t] of this.entities.targets) this.indexTarget(id, t)
    this.hashState = undefined
    const keep = new Set(this.entities.upstreams.keys())
    for (const id of [...this.balancers.keys()]) if (!keep.has(id)) this.dropBalancer(id)
    for (const u of this.entities.upstreams.values()) this.syncUpstream(u)
    // A whole new set of routes: the next router compares every route with what it compiled.
    this.routerCache = undefined
    this.routesChanged.clear()
    this.servicesChanged.clear()
    this.pluginsVersion++
    this.dropIndexes()
    this.tlsVersion++
    this.version = snapshot.version
    this.epoch = snapshot.epoch
    this.changed(undefined)
  }

  /** Applies one event; events at or below the current version are ignored. */
  apply(event: ConfigEvent): void {
    if (event.version <= this.version) return
    const map = this.entities[event.entity]
    const payload = event.payload
    if (event.op === 'delete') {
      const old = map.get(event.id) ?? payload
      this.remove(event.entity, event.id)
      if (event.entity === 'upstreams') this.dropUpstream(event.id)
      // Deleting a route, service or consumer cascades to its plugins, as in the database.
      if (event.entity === 'routes' || event.entity === 'services' || event.entity === 'consumers') {
        this.dropPluginsOf(event.entity, event.id)
      }
      if (event.entity === 'consumers') this.dropChildren('keyauth_credentials', 'consumer', event.id)
      // Deleting a certificate cascades to its SNIs, as in the database.
      if (event.entity === 'certificates') this.dropSnisOf(event.id)
      if (event.entity === 'targets' && old) {
        const uid = upstreamIdOf(old)
        if (uid) this.balancers.get(uid)?.balancer.removeTarget(event.id)
      }
    } else if (payload) {
      const old = map.get(event.id)
      this.put(event.entity, event.id, payload)
      if (event.entity === 'upstreams') this.syncUpstream(payload, old)
      if (event.entity === 'targets') {
        const uid = upstreamIdOf(payload)
        const before = old ? upstreamIdOf(old) : undefined
        // A target moved to another upstream leaves the old one's balancer.
        if (before && before !== uid) this.balancers.get(before)?.balancer.removeTarget(event.id)
        const balanced = uid ? this.balancers.get(uid) : undefined
        balanced?.balancer.upsertTarget(asTargetConfig(payload))
      }
    }
    if (event.entity === 'routes' || event.entity === 'services') {
      ;(event.entity === 'routes' ? this.routesChanged : this.servicesChanged).add(event.id)
      this.routerCache = undefined
    }
    if (event.entity === 'plugins') this.pluginsVersion++
    if (event.entity === 'keyauth_credentials' || event.entity === 'consumers') this.dropIndexes()
    if (TLS_KINDS.has(event.entity)) this.tlsVersion++
    this.version = event.version
    if (event.entity === 'upstreams') this.changed(event.id)
    else if (event.entity === 'targets') {
      const uid = upstreamIdOf(payload ?? {})
      if (uid) this.changed(uid)
    }
  }

  get router(): Router {
    if (!this.routerCache) {
      // Entities travel as Kong JSON, which carries at least the fields RouteConfig and ServiceConfig read.
      const routes = this.entities.routes as unknown as ReadonlyMap<string, RouteConfig>
      const services = this.entities.services as unknown as ReadonlyMap<string, ServiceConfig>
      this.routerCache = this.routesChanged.size + this.servicesChanged.size > 0
        ? this.routerBuilder.update(routes, services, this.routesChanged, this.servicesChanged)
        : this.routerBuilder.build(routes.values(), services)
      this.routesChanged.clear()
      this.servicesChanged.clear()
    }
    return this.routerCache
  }

  /** How many routes the last router build compiled; the others were reused (benchmark, tests). */
  get routesCompiledByLastBuild(): number {
    return this.routerBuilder.lastCompiled
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
      entities: Object.fromEntries(ENTITY_KINDS.map((k) => [k, this.list(k)])) as Snapshot['entities'],
    }
  }

  /** The configuration hash; equals the control plane's (configHash) for the same version. */
  hash(): string {
    if (!this.hashState) {
      const sum = new ConfigHashSum()
      const digests = Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Map()])) as Record<EntityKind, Map<string, bigint>>
      for (const kind of ENTITY_KINDS) {
        for (const [id, e] of this.entities[kind]) {
          const d = entityDigest(kind, e)
          digests[kind].set(id, d)
          sum.add(d)
        }
      }
      this.hashState = { sum, digests }
    }
    return this.hashState.sum.hash()
  }

  /** Every entity write goes through here and remove(), which keep the indexes and the hash. */
  private put(kind: EntityKind, id: string, entity: EntityJson): void {
    const map = this.entities[kind]
    const old = map.get(id)
    if (kind === 'targets') {
      if (old) this.unindexTarget(id, old)
      this.indexTarget(id, entity)
    }
    map.set(id, entity)
    if (this.hashState) {
      const digests = this.hashState.digests[kind]
      const before = digests.get(id)
      if (before !== undefined) this.hashState.sum.remove(before)
      const after = entityDigest(kind, entity)
      digests.set(id, after)
      this.hashState.sum.add(after)
    }
  }

  private remove(kind: EntityKind, id: string): void {
    const map = this.entities[kind]
    const old = map.get(id)
    if (old === undefined) return
    if (kind === 'targets') this.unindexTarget(id, old)
    map.delete(id)
    if (this.hashState) {
      const digests = this.hashState.digests[kind]
      const before = digests.get(id)
      if (before !== undefined) this.hashState.sum.remove(before)
      digests.delete(id)
    }
  }

  private indexTarget(id: string, target: EntityJson): void {
    const uid = upstreamIdOf(target)
    if (uid === undefined) return
    let ids = this.targetIdsByUpstream.get(uid)
    if (!ids) {
      ids = new Set()
      this.targetIdsByUpstream.set(uid, ids)
    }
    ids.add(id)
  }

  private unindexTarget(id: string, target: EntityJson): void {
    const uid = upstreamIdOf(target)
    const ids = uid === undefined ? undefined : this.targetIdsByUpstream.get(uid)
    ids?.delete(id)
    if (ids?.size === 0) this.targetIdsByUpstream.delete(uid!)
  }

  /** The key-auth credential with this key, unless it expired (`ttl` is its expiry, epoch s). */
  credentialByKey(key: string, nowMs: number): EntityJson | undefined {
    if (!this.keyIndex) {
      this.keyIndex = new Map()
      for (const c of this.entities.keyauth_credentials.values()) {
        if (typeof c['key'] === 'string') this.keyIndex.set(c['key'], c)
      }
    }
    const found = this.keyIndex.get(key)
    const ttl = found?.['ttl']
    if (typeof ttl === 'number' && ttl * 1000 <= nowMs) return undefined
    return found
  }

  consumerById(id: string): EntityJson | undefined {
    return this.entities.consumers.get(id)
  }

  /** A consumer by id, else by username (how Kong loads an `anonymous` consumer). */
  consumerByIdOrUsername(value: string): EntityJson | undefined {
    const byId = this.entities.consumers.get(value.toLowerCase())
    if (byId) return byId
    if (!this.usernameIndex) {
      this.usernameIndex = new Map()
      for (const c of this.entities.consumers.values()) {
        if (typeof c['username'] === 'string') this.usernameIndex.set(c['username'], c)
      }
    }
    return this.usernameIndex.get(value)
  }

  private dropIndexes(): void {
    this.keyIndex = undefined
    this.usernameIndex = undefined
  }

  /** One entity by id. */
  get(kind: EntityKind, id: string): EntityJson | undefined {
    return this.entities[kind].get(id)
  }

  list(kind: EntityKind): EntityJson[] {
    return [...this.entities[kind].values()]
  }

  private targetsOf(upstreamId: string): TargetConfig[] {
    const out: TargetConfig[] = []
    for (const id of this.targetIdsByUpstream.get(upstreamId) ?? []) {
      const t = this.entities.targets.get(id)
      if (t) out.push(asTargetConfig(t))
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

  private dropChildren(kind: EntityKind, field: string, parentId: string): void {
    for (const [cid, c] of this.entities[kind]) {
      if ((c[field] as { id?: string } | null)?.id === parentId) this.remove(kind, cid)
    }
  }

  private dropPluginsOf(kind: 'routes' | 'services' | 'consumers', id: string): void {
    const field = kind === 'routes' ? 'route' : kind === 'services' ? 'service' : 'consumer'
    for (const [pid, p] of this.entities.plugins) {
      if ((p[field] as { id?: string } | null)?.id === id) {
        this.remove('plugins', pid)
        this.pluginsVersion++
      }
    }
  }

  private dropSnisOf(certificateId: string): void {
    for (const [sid, s] of this.entities.snis) {
      if ((s['certificate'] as { id?: string } | null)?.id === certificateId) this.remove('snis', sid)
    }
  }

  private dropUpstream(id: string): void {
    this.dropBalancer(id)
    // Deleting an upstream cascades to its targets.
    for (const tid of [...(this.targetIdsByUpstream.get(id) ?? [])]) this.remove('targets', tid)
  }

  private dropBalancer(id: string): void {
    const b = this.balancers.get(id)
    if (b) this.upstreamIdByName.delete(b.entity.name)
    this.balancers.delete(id)
  }
}
