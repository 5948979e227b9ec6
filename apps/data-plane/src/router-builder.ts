// Rebuilds the router after a config change without starting from scratch: compiling a route
// (regexes, host rules, sets) is most of buildRouter's cost at thousands of routes, and one
// change alters one route or one service. The builder keeps each route's compiled entries with
// the route and service objects they were compiled from; entities are replaced, never mutated,
// on a change, so identity tells what changed. A build recompiles the routes whose route or
// service object differs, sorts only their entries and merges them into the previous order.
// byPriority is a total order (it ends with route id and path position), so the merge gives
// exactly the order a full sort gives, and the result matches buildRouter's.

import { byPriority, compileRoute, type Entry } from './route-entry.js'
import type { RouteConfig, ServiceConfig } from './route-types.js'
import { routerOf, type Router, type SkippedRoute } from './router.js'

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
  /** Every entry of the last build, in priority order. */
  private sorted: Entry[] = []
  private builds = 0
  /** Routes compiled by the last build (the rest were reused). */
  lastCompiled = 0

  /** The router for these routes and services; reuses what the previous build compiled. */
  build(routes: Iterable<RouteConfig>, servicesById: ReadonlyMap<string, ServiceConfig>): Router {
    const build = ++this.builds
    const fresh: Entry[] = []
    const dead = new Set<Entry>()
    const skipped: SkippedRoute[] = []
    let compiledNow = 0
    let seen = 0
    for (const route of routes) {
      seen++
      const service = route.service === null ? undefined : servicesById.get(route.service.id)
      let c = this.compiled.get(route.id)
      if (c === undefined || c.route !== route || c.service !== service) {
        if (c !== undefined && typeof c.result !== 'string') for (const e of c.result) dead.add(e)
        c = { route, service, result: compileRoute(route, servicesById), seen: build }
        compiledNow++
        this.compiled.set(route.id, c)
        if (typeof c.result !== 'string') fresh.push(...c.result)
      } else {
        c.seen = build
      }
      if (typeof c.result === 'string') skipped.push({ routeId: route.id, reason: c.result })
    }
    if (this.compiled.size > seen) {
      // Some routes are gone.
      for (const [id, c] of this.compiled) {
        if (c.seen === build) continue
        if (typeof c.result !== 'string') for (const e of c.result) dead.add(e)
        this.compiled.delete(id)
      }
    }
    const kept = dead.size === 0 ? this.sorted.slice() : this.sorted.filter((e) => !dead.has(e))
    fresh.sort(byPriority)
    this.sorted = fresh.length <= INSERT_ONE_BY_ONE ? insertEach(kept, fresh) : merge(kept, fresh)
    this.lastCompiled = compiledNow
    return routerOf(this.sorted, skipped)
  }

  /** The entries of the last build in priority order (for tests). */
  entries(): readonly Entry[] {
    return this.sorted
  }
}

/** Inserts each entry of `add` where it belongs in `list` (binary search); returns `list`. */
function insertEach(list: Entry[], add: readonly Entry[]): Entry[] {
  for (const entry of add) {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (byPriority(list[mid]!, entry) < 0) lo = mid + 1
      else hi = mid
    }
    list.splice(lo, 0, entry)
  }
  return list
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
