// `npm run bench:config`: what a large configuration costs a data plane. 10,000 targets over
// 500 upstreams and 5,000 services each with one route (Kong JSON built through the Admin API's
// own write pipeline, so every default field is there), then, in this process, the data plane's
// config engine (ConfigState: entities, one balancer per upstream, the router, the hash):
//  - the snapshot: its JSON size; boot = JSON.parse + loadSnapshot (500 balancers) + router
//    build + first hash, each step timed;
//  - one target change (weight change, add, delete; 1 in 10 upstreams use consistent hashing,
//    whose ring is re-merged from cached per-target points when a target changes): apply, then
//    the /status hash; then as many changes on consistent-hashing upstreams alone;
//    p50/p99 over BENCH_CONFIG_CHANGES changes; and the proof that unrelated upstreams'
//    balancers are untouched: Balancer objects kept, and the count of balancer mutations
//    (setTargets/upsertTarget/removeTarget/updateUpstream calls, spied on the prototype) per
//    balancer other than the changed one;
//  - one route change: apply, then the router the next request sees (RouterBuilder.update
//    recompiles the changed route only and moves its entries in the router's index in place, by
//    binary search: no pass over the other routes) and one match; p50/p99; and a full
//    buildRouter of all routes (compile + sort, from scratch) beside it;
//  - the hash: a full recompute over the whole config against what one version costs the
//    running hash (old digest out, new digest in, hash of the sum);
//  - the real boot (lib/config-boot.ts): a control plane process on a fresh Postgres database
//    seeded with the same sizes, and data plane processes timed from spawn to serving the
//    control plane's version and hash, compiled (production: `npm run build`, dist/) and under tsx.
// Only prints; no pass/fail on the numbers. Figures are medians of in-process timings (no I/O),
// so they move with the machine's load (printed first).
//
// Env: BENCH_CONFIG_TARGETS (10000), BENCH_CONFIG_UPSTREAMS (500), BENCH_CONFIG_ROUTES (5000),
// BENCH_CONFIG_CHANGES (200), BENCH_CONFIG_BOOTS (3), BENCH_CONFIG_REAL_BOOT (1; 0 skips the real
// boot: processes on a fresh Postgres database, see lib/config-boot.ts), BENCH_PG_URL, REDIS_URL.

import { Balancer } from '@switchyard/balancer'
import { ConfigHashSum, configHash, emptyEntities, entityDigest, type ConfigEvent, type EntityJson, type Snapshot } from '@switchyard/cluster'
import { prepareCreate, routes, services, targets, upstreams, type Entity, type EntityDefinition } from '@switchyard/entities'
import { readFileSync } from 'node:fs'
import { ConfigState } from '../apps/data-plane/src/config-state.ts'
import { buildRouter } from '../apps/data-plane/src/router.ts'
import { realBoot } from './lib/config-boot.ts'
import type { RouteConfig, ServiceConfig } from '../apps/data-plane/src/route-types.ts'

const TARGETS = Number(process.env['BENCH_CONFIG_TARGETS'] ?? 10_000)
const UPSTREAMS = Number(process.env['BENCH_CONFIG_UPSTREAMS'] ?? 500)
const ROUTES = Number(process.env['BENCH_CONFIG_ROUTES'] ?? 5_000)
const CHANGES = Number(process.env['BENCH_CONFIG_CHANGES'] ?? 200)
const BOOTS = Number(process.env['BENCH_CONFIG_BOOTS'] ?? 3)
/** 0 skips the real boot (control plane and data plane processes on a fresh Postgres database). */
const REAL_BOOT = process.env['BENCH_CONFIG_REAL_BOOT'] !== '0'
const PG_URL = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'
/** Every CONSISTENT_EVERY-th upstream uses consistent hashing (the costliest rebuild). */
const CONSISTENT_EVERY = 10

// ---------------------------------------------------------------------------------------------
// Deterministic ids and choices, so two runs change the same entities.

let seed = 0x9e3779b9
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
let idCounter = 0
function newId(): string {
  const hex = (++idCounter).toString(16).padStart(12, '0')
  return `00000000-0000-4000-8000-${hex}`
}
const NOW = 1_700_000_000_000
function make(def: EntityDefinition, input: Entity): EntityJson {
  const r = prepareCreate(def, input, { now: NOW, newId })
  if (!r.ok) throw new Error(`invalid entity: ${r.error.message}`)
  return r.entity
}

// ---------------------------------------------------------------------------------------------
// Figures.

const ms = (ns: bigint): number => Number(ns) / 1e6
function time<T>(fn: () => T): { value: T; ms: number } {
  const t0 = process.hrtime.bigint()
  const value = fn()
  return { value, ms: ms(process.hrtime.bigint() - t0) }
}
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}
function stats(samples: readonly number[]): string {
  const s = [...samples].sort((a, b) => a - b)
  return `p50 ${fmt(quantile(s, 0.5))} ms  p99 ${fmt(quantile(s, 0.99))} ms  max ${fmt(s[s.length - 1] ?? NaN)} ms`
}
const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5)
function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3)
}
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

// ---------------------------------------------------------------------------------------------
// Balancer mutations, counted per balancer (a spy on the prototype: measurement only).

const mutations = new Map<Balancer, number>()
for (const method of ['setTargets', 'upsertTarget', 'removeTarget', 'updateUpstream'] as const) {
  const original = Balancer.prototype[method] as (this: Balancer, ...args: unknown[]) => unknown
  ;(Balancer.prototype as unknown as Record<string, unknown>)[method] = function (this: Balancer, ...args: unknown[]) {
    mutations.set(this, (mutations.get(this) ?? 0) + 1)
    return original.apply(this, args)
  }
}

// ---------------------------------------------------------------------------------------------
// The configuration.

function buildSnapshot(): Snapshot {
  const entities = emptyEntities()
  for (let u = 0; u < UPSTREAMS; u++) {
    const algorithm = u % CONSISTENT_EVERY === 0 ? 'consistent-hashing' : 'round-robin'
    const hash = algorithm === 'consistent-hashing' ? { hash_on: 'header', hash_on_header: 'x-user' } : {}
    entities.upstreams.push(make(upstreams, { name: `up-${u}.bench`, algorithm, ...hash }))
  }
  for (let t = 0; t < TARGETS; t++) {
    const upstream = entities.upstreams[t % UPSTREAMS]!
    const ip = `10.${(t >> 16) & 255}.${(t >> 8) & 255}.${t & 255}`
    entities.targets.push(make(targets, { target: `${ip}:8000`, weight: 100, upstream: { id: upstream['id'] } }))
  }
  for (let r = 0; r < ROUTES; r++) {
    const upstream = entities.upstreams[r % UPSTREAMS]!
    const service = make(services, { name: `svc-${r}`, host: String(upstream['name']), port: 80, path: '/v1' })
    entities.services.push(service)
    // A realistic mix: most routes pin a host (indexed), some a method or a header, a few a regex.
    const input: Entity = { name: `route-${r}`, paths: [`/api/${r}`], service: { id: service['id'] } }
    if (r % 4 !== 0) input['hosts'] = [`tenant-${r % 200}.bench`]
    if (r % 5 === 0) input['methods'] = ['GET', 'POST']
    if (r % 50 === 0) input['headers'] = { 'x-version': ['2'] }
    if (r % 100 === 0) input['paths'] = [`~/re/${r}/\\d+$`]
    entities.routes.push(make(routes, input))
  }
  return { epoch: 'bench', version: 1, entities }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(`bench:config — loadavg ${loadavg()} (start)`)
  const setup = time(buildSnapshot)
  const snapshot = setup.value
  const json = JSON.stringify(snapshot)
  const e = snapshot.entities
  console.log(
    `config      ${e.upstreams.length} upstreams, ${e.targets.length} targets, ${e.services.length} services, ${e.routes.length} routes (built in ${fmt(setup.ms)} ms, not measured)`
  )
  console.log(`snapshot    ${(json.length / 1e6).toFixed(2)} MB of JSON`)

  // --- Boot ---------------------------------------------------------------------------------
  const boot = { parse: [] as number[], load: [] as number[], router: [] as number[], hash: [] as number[], total: [] as number[] }
  let state!: ConfigState
  for (let i = 0; i < BOOTS; i++) {
    const parsed = time(() => JSON.parse(json) as Snapshot)
    const s = new ConfigState({ now: () => performance.now(), random })
    const load = time(() => s.loadSnapshot(parsed.value))
    const router = time(() => s.router)
    const hash = time(() => s.hash())
    boot.parse.push(parsed.ms)
    boot.load.push(load.ms)
    boot.router.push(router.ms)
    boot.hash.push(hash.ms)
    boot.total.push(parsed.ms + load.ms + router.ms + hash.ms)
    state = s
  }
  console.log(
    `boot        ${fmt(median(boot.total))} ms (median of ${BOOTS}): JSON.parse ${fmt(median(boot.parse))} ms + loadSnapshot ${fmt(median(boot.load))} ms + router ${fmt(median(boot.router))} ms + first hash ${fmt(median(boot.hash))} ms`
  )
  const hashNow = state.hash()
  console.log(`            hash equals configHash(snapshot): ${hashNow === configHash(snapshot.entities)}`)

  // --- Target changes -----------------------------------------------------------------------
  const balancersBefore = new Map([...state.upstreams].map((u) => [u.entity.id, u.balancer]))
  let version = state.version
  const targetApply: number[] = []
  const targetWithHash: number[] = []
  const byAlgorithm = new Map<string, number[]>()
  let unrelatedTouched = 0
  let ownTouched = 0
  const liveTargets = [...e.targets]
  const kinds = { weight: 0, add: 0, delete: 0 }
  for (let i = 0; i < CHANGES; i++) {
    const roll = random()
    let event: ConfigEvent
    if (roll < 0.8 || liveTargets.length < 2) {
      const t = pick(liveTargets)
      const changed = { ...t, weight: 1 + Math.floor(random() * 200), updated_at: NOW / 1000 + i }
      liveTargets[liveTargets.indexOf(t)] = changed
      event = { version: ++version, entity: 'targets', op: 'upsert', id: String(t['id']), payload: changed }
      kinds.weight++
    } else if (roll < 0.9) {
      const upstream = pick(e.upstreams)
      const t = make(targets, { target: `10.200.${i >> 8}.${i & 255}:8000`, upstream: { id: upstream['id'] } })
      liveTargets.push(t)
      event = { version: ++version, entity: 'targets', op: 'upsert', id: String(t['id']), payload: t }
      kinds.add++
    } else {
      const index = Math.floor(random() * liveTargets.length)
      const t = liveTargets[index]!
      liveTargets.splice(index, 1)
      event = { version: ++version, entity: 'targets', op: 'delete', id: String(t['id']), payload: t }
      kinds.delete++
    }
    const upstreamId = (event.payload?.['upstream'] as { id: string }).id
    mutations.clear()
    const applied = time(() => state.apply(event))
    const hashed = time(() => state.hash())
    targetApply.push(applied.ms)
    targetWithHash.push(applied.ms + hashed.ms)
    const algorithm = state.upstreamById(upstreamId)?.balancer.algorithm ?? 'gone'
    byAlgorithm.set(algorithm, [...(byAlgorithm.get(algorithm) ?? []), applied.ms + hashed.ms])
    for (const [b, n] of mutations) {
      if (b.id === upstreamId) ownTouched += n
      else unrelatedTouched += n
    }
  }
  const kept = [...state.upstreams].filter((u) => balancersBefore.get(u.entity.id) === u.balancer).length
  console.log(
    `target      ${CHANGES} changes (${kinds.weight} weight, ${kinds.add} add, ${kinds.delete} delete; 1 upstream in ${CONSISTENT_EVERY} consistent-hashing)`
  )
  console.log(`  apply             ${stats(targetApply)}`)
  console.log(`  apply + /status hash  ${stats(targetWithHash)}`)
  for (const [algorithm, samples] of byAlgorithm) {
    console.log(`    ${algorithm.padEnd(18)} ${String(samples.length).padStart(4)} changes  ${stats(samples)}`)
  }
  console.log(
    `  isolation         ${kept}/${balancersBefore.size} Balancer objects kept; mutations: ${ownTouched} on the changed upstream's balancer, ${unrelatedTouched} on any other`
  )

  // --- Target changes on consistent-hashing upstreams only ------------------------------------
  // The costliest rebuild gets its own CHANGES samples: weight changes (which move the mean
  // weight and so every other target's point count), adds and deletes.
  const consistentIds = new Set([...state.upstreams].filter((u) => u.balancer.algorithm === 'consistent-hashing').map((u) => u.entity.id))
  const consistentApply: number[] = []
  for (let i = 0; i < CHANGES; i++) {
    const candidates = liveTargets.filter((t) => consistentIds.has((t['upstream'] as { id: string }).id))
    const roll = random()
    let event: ConfigEvent
    if (roll < 0.8) {
      const t = pick(candidates)
      const changed = { ...t, weight: 1 + Math.floor(random() * 200), updated_at: NOW / 1000 + i }
      liveTargets[liveTargets.indexOf(t)] = changed
      event = { version: ++version, entity: 'targets', op: 'upsert', id: String(t['id']), payload: changed }
    } else if (roll < 0.9) {
      const upstream = pick([...consistentIds])
      const t = make(targets, { target: `10.201.${i >> 8}.${i & 255}:8000`, upstream: { id: upstream } })
      liveTargets.push(t)
      event = { version: ++version, entity: 'targets', op: 'upsert', id: String(t['id']), payload: t }
    } else {
      const t = pick(candidates)
      liveTargets.splice(liveTargets.indexOf(t), 1)
      event = { version: ++version, entity: 'targets', op: 'delete', id: String(t['id']), payload: t }
    }
    consistentApply.push(time(() => { state.apply(event); return state.hash() }).ms)
  }
  console.log(`  consistent-hashing only, ${CHANGES} changes (80% weight, 10% add, 10% delete)  apply + hash  ${stats(consistentApply)}`)

  // --- Route changes ------------------------------------------------------------------------
  const routeApply: number[] = []
  const routeNext: number[] = []
  let recompiled = 0
  const liveRoutes = [...e.routes]
  const request = { method: 'GET', host: 'tenant-7.bench', path: '/api/7/x', headers: {}, protocol: 'http' as const }
  for (let i = 0; i < CHANGES; i++) {
    const index = Math.floor(random() * liveRoutes.length)
    const r = liveRoutes[index]!
    const changed = { ...r, paths: [`/api/${index}/v${i}`, `/api/${index}`], updated_at: NOW / 1000 + i }
    liveRoutes[index] = changed
    const event: ConfigEvent = { version: ++version, entity: 'routes', op: 'upsert', id: String(r['id']), payload: changed }
    const applied = time(() => state.apply(event))
    const next = time(() => state.router.match(request))
    if (next.value === null) throw new Error('route lookup failed after a route change')
    routeApply.push(applied.ms)
    routeNext.push(applied.ms + next.ms)
    recompiled += state.routesCompiledByLastBuild
    state.hash()
  }
  const routeConfigs = state.list('routes') as unknown as RouteConfig[]
  const serviceConfigs = state.list('services') as unknown as ServiceConfig[]
  const fullBuild: number[] = []
  for (let i = 0; i < Math.max(5, Math.min(CHANGES, 30)); i++) fullBuild.push(time(() => buildRouter(routeConfigs, serviceConfigs)).ms)
  console.log(`route       ${CHANGES} changes (paths of one route)`)
  console.log(`  apply             ${stats(routeApply)}`)
  console.log(`  apply + next request's router + match  ${stats(routeNext)}  (${recompiled} routes recompiled in all)`)
  console.log(`  full buildRouter of ${routeConfigs.length} routes  ${stats(fullBuild)}`)
  console.log(`  ratio full rebuild / incremental (medians)  ${fmt(median(fullBuild) / median(routeNext))}×`)

  // --- Hash -----------------------------------------------------------------------------------
  const full: number[] = []
  const entities = state.snapshot().entities
  for (let i = 0; i < 10; i++) full.push(time(() => configHash(entities)).ms)
  // What one version costs the running hash: the changed entity's old digest out, its new one
  // in (ConfigState does exactly this inside apply), then the hash /status reports.
  const perVersion: number[] = []
  const sum = new ConfigHashSum()
  for (let i = 0; i < CHANGES; i++) {
    const t = pick(liveTargets)
    const changed = { ...t, weight: 1 + Math.floor(random() * 200) }
    liveTargets[liveTargets.indexOf(t)] = changed
    const before = entityDigest('targets', t)
    perVersion.push(
      time(() => {
        sum.remove(before)
        sum.add(entityDigest('targets', changed))
        return sum.hash()
      }).ms
    )
    state.apply({ version: ++version, entity: 'targets', op: 'upsert', id: String(t['id']), payload: changed })
  }
  const fullMedian = median(full)
  const perVersionMedian = median(perVersion)
  console.log(`hash        full configHash over the whole config  ${stats(full)}`)
  console.log(`  running-hash update for one version        ${stats(perVersion)}`)
  console.log(`  ratio full / per-version (medians)  ${fmt(fullMedian / perVersionMedian)}×`)
  console.log(`  incremental hash equals full recompute at the end: ${state.hash() === configHash(state.snapshot().entities)}`)

  // --- Real boot ----------------------------------------------------------------------------
  if (REAL_BOOT) {
    console.log(`real boot   control plane process on a fresh Postgres database, seeded in bulk (loadavg ${loadavg()})`)
    const r = await realBoot({ upstreams: UPSTREAMS, targets: TARGETS, routes: ROUTES, consistentEvery: CONSISTENT_EVERY, pgUrl: PG_URL, redisUrl: REDIS_URL })
    console.log(`  control plane /status after the new epoch (full read + hash of ${r.entities} entities)  ${fmt(r.controlPlaneStatusMs)} ms`)
    console.log(`  data plane spawn → serving the control plane's version and hash (npm run build first: ${fmt(r.buildMs)} ms):`)
    console.log(`                                               compiled (production)   tsx (source)`)
    console.log(`    empty config (process start alone)          ${fmt(r.emptyMs.compiled).padStart(8)} ms   ${fmt(r.emptyMs.tsx).padStart(10)} ms`)
    console.log(`    full config, control plane snapshot cached  ${fmt(r.warmMs.compiled).padStart(8)} ms   ${fmt(r.warmMs.tsx).padStart(10)} ms`)
    console.log(`      of which the full config (over the empty start)  ${fmt(r.warmMs.compiled - r.emptyMs.compiled).padStart(6)} ms   ${fmt(r.warmMs.tsx - r.emptyMs.tsx).padStart(10)} ms`)
    console.log(`    full config, control plane snapshot cold    ${fmt(r.coldMs).padStart(8)} ms  (compiled; +${fmt(r.coldMs - r.emptyMs.compiled)} ms over the empty start)`)
  }
  console.log(`loadavg ${loadavg()} (end)`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  }
)
