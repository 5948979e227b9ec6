// Keeps the router up to date after config changes without rebuilding it: compiling a route
// (regexes, host rules, sets) is most of buildRouter's cost at thousands of routes, and one
// change alters one route or one service. The builder keeps each route's compiled entries with
// the route and service objects they were compiled from (entities are replaced, never mutated,
// on a change, so identity tells what changed) and one RouterIndex that it changes in place:
//  - update(routes, services, changed route ids, changed service ids), what ConfigState calls
//    after events: recompiles the named routes and the routes of the named services, removes
//    their old entries from the index and inserts the new ones (binary searches; no pass over
//    the other routes);
//  - build(routes, services): compares every route with what it compiled before (one pass), for
//    a snapshot or when the changes are not known. Many changed entries are sorted and merged
//    into the previous order and the index is laid out again; a few are inserted one by one.
// byPriority is a total order (it ends with route id and path position), so either way the
// order is exactly what a full sort gives, and the router answers as buildRouter's does. The
// router is one live object: each match reads the index as the last build or update left it.

import { byPriority, compileRoute, type Entry } from './route-entry.js'
import { RouterIndex } from './router-index.js'
import type { RouteConfig, ServiceConfig } from './route-types.js'
import { routerOver, type Router, type SkippedRoute } from './router.js'

interface Compiled {
  readonly route: RouteConfig
  readonly service: ServiceConfig | undefined
  readonly result: readonly Entry[] | string
  /** The build that last saw this route. */
  seen: number
}

/** Above this many changed entries, one sort and merge beats inserting them one by one. */
const INSERT_ONE_BY_ONE = 32

export class RouterBuilder {
  private readonly compiled = new Map<string, Compiled>()
  /** Route ids per service id they name (the service may not exist). */
  private readonly routesOfService = new Map<string, Set<string>>()
  private readonly index = new RouterIndex()
  /** The routes in the order `skipped` lists them: the last build's list, or a live map. */
  private skippedSource: readonly SkippedRoute[] | ReadonlyMap<string, RouteConfig> = []
  private readonly router: Router = routerOver(this.index, () => this.skipped())
  private builds = 0
  /** Routes compiled by the last build or update (the rest were reused). */
  lastCompiled = 0

  /** The router for these routes and services; reuses what the previous build compiled. */
  build(routes: Iterable<RouteConfig>, servicesById: ReadonlyMap<string, ServiceConfig>): Router {
    const build = ++this.builds
    const fresh: Entry[] = []
    const dead: Entry[] = []
    const skipped: SkippedRoute[] = []
    let compiledNow = 0
    let seen = 0
    for (const route of routes) {
      seen++
      const c = this.refresh(route.id, route, servicesById, fresh, dead)
      if (c === undefined) continue
      if (c.seen === -1) compiledNow++
      c.seen = build
      if (typeof c.result === 'string') skipped.push({ routeId: route.id, reason: c.result })
    }
    if (this.compiled.size > seen) {
      // Some routes are gone.
      for (const [id, c] of [...this.compiled]) if (c.seen !== build) this.refresh(id, undefined, servicesById, fresh, dead)
    }
    this.place(fresh, dead)
    this.skippedSource = skipped
    this.lastCompiled = compiledNow
    return this.router
  }

  /**
   * The router after changes to these routes and services only (ids of entities changed, added
   * or deleted); `routes` and `servicesById` are the whole current configuration.
   */
  update(
    routes: ReadonlyMap<string, RouteConfig>,
    servicesById: ReadonlyMap<string, ServiceConfig>,
    changedRoutes: Iterable<string>,
    changedServices: Iterable<string>
  ): Router {
    const ids = new Set(changedRoutes)
    for (const sid of changedServices) for (const id of this.routesOfService.get(sid) ?? []) ids.add(id)
    const fresh: Entry[] = []
    const dead: Entry[] = []
    let compiledNow = 0
    for (const id of ids) {
      const c = this.refresh(id, routes.get(id), servicesById, fresh, dead)
      if (c?.seen === -1) {
        compiledNow++
        c.seen = this.builds
      }
    }
    this.place(fresh, dead)
    this.skippedSource = routes
    this.lastCompiled = compiledNow
    return this.router
  }

  /** The entries in priority order (for tests). */
  entries(): readonly Entry[] {
    return this.index.entries()
  }

  /**
   * Brings one route's compiled entries up to date: the entries it no longer has go to `dead`,
   * new ones to `fresh`. Returns what it holds for the route now (`seen` -1 when just compiled).
   */
  private refresh(
    id: string,
    route: RouteConfig | undefined,
    servicesById: ReadonlyMap<string, ServiceConfig>,
    fresh: Entry[],
    dead: Entry[]
  ): Compiled | undefined {
    const c = this.compiled.get(id)
    const service = route === undefined || route.service === null ? undefined : servicesById.get(route.service.id)
    if (c !== undefined && c.route === route && c.service === service) return c
    if (c !== undefined) {
      if (typeof c.result !== 'string') dead.push(...c.result)
      this.unlink(id, c.route)
      this.compiled.delete(id)
    }
    if (route === undefined) return undefined
    const next: Compiled = { route, service, result: compileRoute(route, servicesById), seen: -1 }
    this.compiled.set(id, next)
    if (route.service !== null) {
      let set = this.routesOfService.get(route.service.id)
      if (set === undefined) this.routesOfService.set(route.service.id, (set = new Set()))
      set.add(id)
    }
    if (typeof next.result !== 'string') fresh.push(...next.result)
    return next
  }

  private unlink(id: string, route: RouteConfig): void {
    if (route.service === null) return
    const set = this.routesOfService.get(route.service.id)
    set?.delete(id)
    if (set?.size === 0) this.routesOfService.delete(route.service.id)
  }

  /** Takes the dead entries out of the index and puts the fresh ones in. */
  private place(fresh: Entry[], dead: readonly Entry[]): void {
    if (fresh.length + dead.length <= INSERT_ONE_BY_ONE) {
      for (const e of dead) this.index.remove(e)
      for (const e of fresh) this.index.insert(e)
      return
    }
    const gone = new Set(dead)
    const kept = gone.size === 0 ? this.index.entries() : this.index.entries().filter((e) => !gone.has(e))
    fresh.sort(byPriority)
    this.index.reset(merge(kept, fresh))
  }

  private skipped(): readonly SkippedRoute[] {
    const source = this.skippedSource
    if (Array.isArray(source)) return source
    const out: SkippedRoute[] = []
    for (const route of (source as ReadonlyMap<string, RouteConfig>).values()) {
      const result = this.compiled.get(route.id)?.result
      if (typeof result === 'string') out.push({ routeId: route.id, reason: result })
    }
    // Kept until the next change, so reading it twice does not walk the routes twice.
    this.skippedSource = out
    return out
  }
}

/** Two lists each in priority order → one list in priority order. */
function merge(a: readonly Entry[], b: readonly Entry[]): Entry[] {
  if (b.length === 0) return [...a]
  if (a.length === 0) return [...b]
  const out: Entry[] = new Array<Entry>(a.length + b.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < a.length && j < b.length) out[k++] = byPriority(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!
  while (i < a.length) out[k++] = a[i++]!
  while (j < b.length) out[k++] = b[j++]!
  return out
}
