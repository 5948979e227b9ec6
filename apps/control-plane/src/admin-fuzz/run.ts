// Runs the Admin API fuzzer against a live Admin API over loopback and checks the rule: every
// answer is a success or a Kong-style 4xx JSON `{ message }`, never a 5xx, a hang or a dropped
// connection; afterwards every stored entity still validates, its references resolve, and it
// reads back through the API.

import { ENTITIES, validateEntity, type Entity, type EntityDefinition, type EntityName } from '@switchyard/entities'
import http from 'node:http'
import { emptyWorld, generateRequest, type Encoding, type FuzzRequest, type FuzzWorld } from './generate.js'
import { Random } from './random.js'

export interface FuzzOptions {
  baseUrl: string
  /** The Admin API's path templates (AdminRouter.paths). */
  endpoints: readonly string[]
  count: number
  seed: number
  /** Requests in flight at once. */
  concurrency?: number
  /** An answer slower than this is a hang. */
  timeoutMs?: number
}

export interface FuzzReport {
  seed: number
  tried: number
  byEncoding: Record<Encoding, number>
  randomPaths: number
  randomQueries: number
  /** Requests sent three times at once (racing writes). */
  bursts: number
  byEndpoint: Record<string, number>
  byStatus: Record<string, number>
  problems: string[]
}

interface Answer {
  status: number
  contentType: string
  text: string
}

const POOL_LIMIT = 40

function send(agent: http.Agent, base: URL, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers }
    if (req.body) headers['content-length'] = req.body.length
    const r = http.request(
      { agent, host: base.hostname, port: base.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          })
        )
        res.on('error', reject)
      }
    )
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms (hang)`)))
    r.on('error', reject)
    r.end(req.body)
  })
}

function describe(req: FuzzRequest): string {
  const body = req.body ? ` ${req.encoding} ${JSON.stringify(req.body.subarray(0, 160).toString('utf8'))}` : ''
  return `${req.method} ${req.path.slice(0, 200)}${body}`
}

/** Why an answer breaks the rule, or undefined when it is fine. */
export function answerProblem(method: string, a: Answer): string | undefined {
  if (a.status >= 500) return `status ${a.status}`
  if (a.status < 200) return `status ${a.status}`
  if (method === 'HEAD' || a.text === '') return undefined
  if (!a.contentType.includes('json')) {
    // /metrics answers Prometheus text on success.
    return a.status >= 400 ? `error without a JSON body (${a.contentType})` : undefined
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(a.text)
  } catch {
    return 'invalid JSON body'
  }
  if (a.status >= 400 && typeof (parsed as { message?: unknown } | null)?.message !== 'string') {
    return 'error body without a string message'
  }
  return undefined
}

function entityNameOf(endpoint: string): EntityName | undefined {
  const segs = endpoint.split('/').filter((s) => s !== '' && !s.startsWith(':'))
  for (let i = segs.length - 1; i >= 0; i--) if (segs[i]! in ENTITIES) return segs[i] as EntityName
  return undefined
}

/** Remembers ids and names from successful answers, for later requests to address. */
function learn(world: FuzzWorld, endpoint: string, a: Answer): void {
  if (a.status < 200 || a.status >= 300 || !a.contentType.includes('json')) return
  const name = entityNameOf(endpoint)
  if (!name) return
  let parsed: unknown
  try {
    parsed = JSON.parse(a.text)
  } catch {
    return
  }
  const items = Array.isArray((parsed as { data?: unknown })?.data) ? (parsed as { data: unknown[] }).data : [parsed]
  const pool = world.known[name]!
  for (const item of items) {
    const e = item as { id?: unknown; name?: unknown; target?: unknown }
    for (const v of [e.id, e.name, e.target]) {
      if (typeof v === 'string' && !pool.includes(v)) {
        pool.push(v)
        if (pool.length > POOL_LIMIT) pool.shift()
      }
    }
  }
}

export async function fuzzAdminApi(opts: FuzzOptions): Promise<FuzzReport> {
  const rng = new Random(opts.seed)
  const world = emptyWorld()
  const base = new URL(opts.baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 8 })
  const timeoutMs = opts.timeoutMs ?? 10_000
  const report: FuzzReport = {
    seed: opts.seed,
    tried: 0,
    byEncoding: { json: 0, form: 0, multipart: 0, none: 0 },
    randomPaths: 0,
    randomQueries: 0,
    bursts: 0,
    byEndpoint: Object.fromEntries(opts.endpoints.map((e) => [e, 0])),
    byStatus: {},
    problems: [],
  }
  let next = 0
  const worker = async () => {
    while (next < opts.count) {
      next++
      const req = generateRequest(rng, opts.endpoints, world)
      // Now and then the same request several times at once: writes racing on one key.
      const copies = rng.chance(0.03) ? 3 : 1
      if (copies > 1) report.bursts++
      await Promise.all(
        Array.from({ length: copies }, async () => {
          report.tried++
          report.byEncoding[req.encoding]++
          if (req.randomPath) report.randomPaths++
          if (req.randomQuery) report.randomQueries++
          report.byEndpoint[req.endpoint] = (report.byEndpoint[req.endpoint] ?? 0) + 1
          try {
            const a = await send(agent, base, req, timeoutMs)
            report.byStatus[a.status] = (report.byStatus[a.status] ?? 0) + 1
            const problem = answerProblem(req.method, a)
            if (problem) report.problems.push(`${problem}: ${describe(req)} → ${a.text.slice(0, 200)}`)
            learn(world, req.endpoint, a)
          } catch (err) {
            report.problems.push(`${(err as Error).message}: ${describe(req)}`)
          }
        })
      )
    }
  }
  try {
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker))
  } finally {
    agent.destroy()
  }
  return report
}

/** What the consistency check reads: every stored entity by collection. */
export type StoredEntities = { [K in EntityName]: Entity[] }

function definitionFor(name: EntityName, entity: Entity): EntityDefinition {
  const def: EntityDefinition = ENTITIES[name]
  return def.variant?.(entity) ?? def
}

/**
 * Problems with the stored configuration: entities that no longer validate, references to
 * missing entities, and entities the API cannot read back.
 */
export async function checkConsistency(baseUrl: string, stored: StoredEntities): Promise<string[]> {
  const problems: string[] = []
  const ids = Object.fromEntries(
    (Object.keys(stored) as EntityName[]).map((k) => [k, new Set(stored[k].map((e) => e['id'] as string))])
  ) as Record<EntityName, Set<string>>
  const ref = (e: Entity, field: string): string | undefined => {
    const v = e[field] as { id?: string } | null | undefined
    return v?.id
  }
  for (const name of Object.keys(stored) as EntityName[]) {
    for (const e of stored[name]) {
      const errors = validateEntity(definitionFor(name, e), e)
      if (errors) problems.push(`${name} ${String(e['id'])} no longer validates: ${JSON.stringify(errors)}`)
    }
  }
  for (const t of stored.targets) {
    if (!ids.upstreams.has(ref(t, 'upstream') ?? '')) problems.push(`target ${String(t['id'])} points at a missing upstream`)
  }
  for (const r of stored.routes) {
    const s = ref(r, 'service')
    if (s !== undefined && !ids.services.has(s)) problems.push(`route ${String(r['id'])} points at a missing service`)
  }
  for (const p of stored.plugins) {
    for (const [field, coll] of [['service', 'services'], ['route', 'routes']] as const) {
      const id = ref(p, field)
      if (id !== undefined && !ids[coll].has(id)) problems.push(`plugin ${String(p['id'])} points at a missing ${field}`)
    }
  }
  const read = async (path: string, id: string) => {
    const r = await fetch(`${baseUrl}${path}`)
    const text = await r.text()
    if (r.status !== 200) return problems.push(`GET ${path} → ${r.status} ${text.slice(0, 200)}`)
    const body = JSON.parse(text) as { id?: string }
    if (body.id !== id) problems.push(`GET ${path} read back id ${body.id}`)
  }
  for (const name of ['upstreams', 'services', 'routes', 'plugins'] as const) {
    for (const e of stored[name]) await read(`/${name}/${String(e['id'])}`, e['id'] as string)
    const list = await fetch(`${baseUrl}/${name}?size=1000`)
    if (list.status !== 200) problems.push(`GET /${name} → ${list.status}`)
    await list.text()
  }
  for (const t of stored.targets) await read(`/upstreams/${ref(t, 'upstream')}/targets/${String(t['id'])}`, t['id'] as string)
  return problems
}

/** Children deleted with their parent by the foreign keys: parent → [child collection, field]. */
const CASCADES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  upstreams: [['targets', 'upstream']],
  routes: [['plugins', 'route']],
  services: [['plugins', 'service']],
  consumers: [
    ['plugins', 'consumer'],
    ['keyauth_credentials', 'consumer'],
  ],
  certificates: [['snis', 'certificate']],
}

/** An outbox event as the consistency check reads it. */
export interface ReplayEvent {
  entity: string
  op: string
  id: string
  payload: Entity | null
}

/**
 * Problems between the outbox and the tables: replaying every event in order (what a data
 * plane does from an empty state) must give exactly the stored entities, or data planes would
 * serve another configuration than the database holds.
 */
export function checkOutboxReplay(events: readonly ReplayEvent[], stored: StoredEntities): string[] {
  const replayed = new Map<string, Entity>()
  for (const e of events) {
    const key = `${e.entity}/${e.id}`
    if (e.op !== 'delete') {
      if (e.payload) replayed.set(key, e.payload)
      continue
    }
    replayed.delete(key)
    // The outbox records the deleted parent only; data planes cascade as the foreign keys do.
    const cascades = CASCADES[e.entity] ?? []
    for (const [k, v] of replayed) {
      const child = cascades.some(([kind, field]) => k.startsWith(`${kind}/`) && (v[field] as { id?: string } | null | undefined)?.id === e.id)
      if (child) replayed.delete(k)
    }
  }
  const problems: string[] = []
  const seen = new Set<string>()
  for (const name of Object.keys(stored) as EntityName[]) {
    for (const entity of stored[name]) {
      const key = `${name}/${String(entity['id'])}`
      seen.add(key)
      const r = replayed.get(key)
      if (!r) problems.push(`${key} is stored but the outbox never delivered it`)
      else if (JSON.stringify(sortKeys(r)) !== JSON.stringify(sortKeys(entity))) {
        problems.push(`${key} differs between the outbox and the table`)
      }
    }
  }
  for (const key of replayed.keys()) if (!seen.has(key)) problems.push(`${key} was deleted but the outbox never said so`)
  return problems
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])])
  )
}

/** One line per category, for logs and the closing note. */
export function summarize(r: FuzzReport): string {
  const endpoints = Object.entries(r.byEndpoint)
  const untouched = endpoints.filter(([, n]) => n === 0).map(([e]) => e)
  return [
    `seed ${r.seed}: ${r.tried} requests`,
    `bodies: json ${r.byEncoding.json}, form ${r.byEncoding.form}, multipart ${r.byEncoding.multipart}; without body ${r.byEncoding.none}`,
    `random paths ${r.randomPaths}, random query strings ${r.randomQueries}, racing bursts ${r.bursts}, endpoints ${endpoints.length - untouched.length}/${endpoints.length}`,
    `statuses ${JSON.stringify(r.byStatus)}`,
    `problems ${r.problems.length}`,
  ].join('\n')
}
