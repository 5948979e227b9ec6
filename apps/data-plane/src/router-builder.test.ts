// RouterBuilder recompiles only what changed, yet after any sequence of route and service
// changes its router equals a full buildRouter: same entry order, same skipped list, same
// answer to every request.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Entry } from './route-entry.js'
import type { RouteConfig, ServiceConfig } from './route-types.js'
import { RouterBuilder } from './router-builder.js'
import { buildRouter, type RouteRequest, type Router } from './router.js'
import { serviceConfig } from './test-fixtures.js'

function makeRandom(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
}

const service = (id: string, over: Partial<ServiceConfig> = {}): ServiceConfig => serviceConfig({ id, ...over })

const HOSTS = ['a.test', 'b.test', '*.wild.test', 'c.test:8080']
const PATHS = ['/', '/api', '/api/v1', '~/api/v\\d+$', '~/re/(?<id>\\d+)', '/other', '~/bad(']
const METHODS = ['GET', 'POST']

function randomRoute(id: string, random: () => number, serviceIds: readonly string[]): RouteConfig {
  const some = <T>(xs: readonly T[]): T[] | null => {
    const out = xs.filter(() => random() < 0.3)
    return out.length === 0 ? null : out
  }
  return {
    id,
    name: id,
    protocols: random() < 0.9 ? ['http', 'https'] : ['tcp'],
    methods: some(METHODS),
    hosts: some(HOSTS),
    paths: some(PATHS),
    headers: random() < 0.2 ? { 'x-v': ['1', '~*^2'] } : null,
    snis: null,
    strip_path: random() < 0.5,
    preserve_host: false,
    regex_priority: Math.floor(random() * 3),
    path_handling: 'v0',
    service: random() < 0.1 ? null : { id: serviceIds[Math.floor(random() * serviceIds.length)]! },
    // Few distinct values, so ties are broken by id and path position.
    created_at: 1700000000 + Math.floor(random() * 3),
  }
}

const REQUESTS: RouteRequest[] = ['a.test', 'b.test', 'x.wild.test', 'c.test:8080', 'none.test', undefined].flatMap((host) =>
  ['/', '/api', '/api/v1', '/api/v2', '/re/42', '/other/x'].flatMap((path) =>
    METHODS.map((method) => ({ method, host, path, headers: { 'x-v': '2' }, protocol: 'http' as const }))
  )
)

function key(e: Entry): string {
  return `${e.route.id}#${e.pathIndex}`
}

function sameAnswers(a: Router, b: Router): void {
  for (const req of REQUESTS) {
    const x = a.match(req)
    const y = b.match(req)
    assert.equal(x?.route.id, y?.route.id, `${req.method} ${req.host} ${req.path}`)
    assert.equal(x?.upstreamPath, y?.upstreamPath)
  }
}

test('after random route and service changes the incremental router equals a full rebuild', () => {
  const random = makeRandom(5)
  const services = new Map<string, ServiceConfig>()
  for (let i = 0; i < 4; i++) services.set(`s${i}`, service(`s${i}`))
  const serviceIds = [...services.keys(), 'missing']
  const routes = new Map<string, RouteConfig>()
  for (let i = 0; i < 40; i++) routes.set(`r${i}`, randomRoute(`r${i}`, random, serviceIds))
  const builder = new RouterBuilder()
  builder.build(routes.values(), services)
  assert.equal(builder.lastCompiled, 40)
  for (let step = 0; step < 300; step++) {
    const roll = random()
    const id = `r${Math.floor(random() * 50)}`
    if (roll < 0.6) routes.set(id, randomRoute(id, random, serviceIds))
    else if (roll < 0.75) routes.delete(id)
    else {
      const sid = serviceIds[Math.floor(random() * serviceIds.length)]!
      if (random() < 0.2) services.delete(sid)
      else services.set(sid, service(sid, { enabled: random() < 0.8, path: random() < 0.5 ? null : '/base' }))
    }
    // Sometimes several changes land between two builds (events applied before the next request).
    if (random() < 0.3) continue
    const incremental = builder.build(routes.values(), services)
    const full = buildRouter([...routes.values()], [...services.values()])
    const order = buildOrder(routes, services)
    assert.deepEqual(builder.entries().map(key), order, `order after step ${step}`)
    assert.deepEqual(incremental.skipped, full.skipped)
    sameAnswers(incremental, full)
  }
})

test('updated by changed ids only, the router equals a full rebuild after any sequence of changes', () => {
  for (const seed of [11, 12, 13]) {
    const random = makeRandom(seed)
    const services = new Map<string, ServiceConfig>()
    for (let i = 0; i < 4; i++) services.set(`s${i}`, service(`s${i}`))
    const serviceIds = [...services.keys(), 'missing']
    const routes = new Map<string, RouteConfig>()
    // Enough routes that a bulk change takes the sort-and-merge path and one change the in-place one.
    for (let i = 0; i < 60; i++) routes.set(`r${i}`, randomRoute(`r${i}`, random, serviceIds))
    const builder = new RouterBuilder()
    builder.build(routes.values(), services)
    const changedRoutes = new Set<string>()
    const changedServices = new Set<string>()
    for (let step = 0; step < 400; step++) {
      const roll = random()
      if (roll < 0.6) {
        const id = `r${Math.floor(random() * 70)}`
        routes.set(id, randomRoute(id, random, serviceIds))
        changedRoutes.add(id)
      } else if (roll < 0.75) {
        const id = `r${Math.floor(random() * 70)}`
        routes.delete(id)
        changedRoutes.add(id)
      } else if (roll < 0.98) {
        const sid = serviceIds[Math.floor(random() * serviceIds.length)]!
        if (random() < 0.2) services.delete(sid)
        else services.set(sid, service(sid, { enabled: random() < 0.8, path: random() < 0.5 ? null : '/base' }))
        changedServices.add(sid)
      } else {
        // Many routes at once (a bulk change).
        for (let i = 0; i < 40; i++) {
          const id = `r${Math.floor(random() * 70)}`
          routes.set(id, randomRoute(id, random, serviceIds))
          changedRoutes.add(id)
        }
      }
      if (random() < 0.3) continue
      const incremental = builder.update(routes, services, changedRoutes, changedServices)
      changedRoutes.clear()
      changedServices.clear()
      const full = buildRouter([...routes.values()], [...services.values()])
      assert.deepEqual(builder.entries().map(key), buildOrder(routes, services), `order after step ${step}`)
      assert.deepEqual(incremental.skipped, full.skipped)
      sameAnswers(incremental, full)
    }
  }
})

test('ranks squeezed between the same two neighbours are spaced out again, keeping the order', () => {
  // Routes that all sort between the same two entries: each insert halves the gap, until none is
  // left and the index renumbers.
  const services = new Map([['s0', service('s0')]])
  const base = (id: string, created: number): RouteConfig => ({
    ...randomRoute(id, makeRandom(1), ['s0']),
    hosts: ['a.test'],
    paths: ['/p'],
    methods: null,
    headers: null,
    regex_priority: 0,
    protocols: ['http'],
    created_at: created,
  })
  const routes = new Map<string, RouteConfig>([['first', base('first', 0)], ['last', base('last', 1e9)]])
  const builder = new RouterBuilder()
  builder.build(routes.values(), services)
  let lo = 0
  let hi = 1e9
  for (let i = 0; i < 80; i++) {
    // Alternate sides so new routes always land next to the last one added.
    const created = i % 2 === 0 ? (lo = Math.floor((lo + hi) / 2)) : (hi = Math.ceil((lo + hi) / 2))
    routes.set(`m${i}`, base(`m${i}`, created))
    builder.update(routes, services, [`m${i}`], [])
  }
  assert.deepEqual(builder.entries().map(key), buildOrder(routes, services))
  sameAnswers(builder.update(routes, services, [], []), buildRouter([...routes.values()], [...services.values()]))
})

test('a route change recompiles that route only; a service change its routes only', () => {
  const services = new Map([['s0', service('s0')], ['s1', service('s1')]])
  const routes = new Map<string, RouteConfig>()
  const random = makeRandom(9)
  for (let i = 0; i < 20; i++) routes.set(`r${i}`, randomRoute(`r${i}`, random, ['s0', 's1']))
  const builder = new RouterBuilder()
  builder.build(routes.values(), services)
  builder.build(routes.values(), services)
  assert.equal(builder.lastCompiled, 0, 'nothing changed')
  routes.set('r3', { ...routes.get('r3')!, paths: ['/changed'] })
  builder.build(routes.values(), services)
  assert.equal(builder.lastCompiled, 1)
  services.set('s1', service('s1', { path: '/v2' }))
  builder.build(routes.values(), services)
  const ofS1 = [...routes.values()].filter((r) => r.service?.id === 's1').length
  assert.equal(builder.lastCompiled, ofS1)
})

/** The entry order of a from-scratch build, read through a fresh builder. */
function buildOrder(routes: Map<string, RouteConfig>, services: Map<string, ServiceConfig>): string[] {
  const fresh = new RouterBuilder()
  fresh.build(routes.values(), services)
  return fresh.entries().map(key)
}
