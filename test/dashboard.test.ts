// The official Kong Grafana dashboard against our exporter, end to end: the real `npm start`
// gateway as a child process, configured over the Admin API with a prometheus plugin that
// enables every switch, real traffic through the proxy to real upstream servers (one upstream
// health-checked, one unchecked, one whose target does not resolve, and an OpenAI-style route
// answering with usage in JSON and in SSE). Then:
//   - every metric name and label used by any PromQL expression of
//     ../shared/anchors/grafana/kong-official.json (panels, nested rows, template variables)
//     is present in our /metrics output;
//   - each metric family has the series real traffic should give it;
//   - Kong's gating rules hold (disabled or deleted plugin: request families vanish, node
//     gauges stay; a route-scoped instance records only its route).

import { startGateway, startUpstream, type GatewayProcess, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type http from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const DASHBOARD = resolve(REPO, '../shared/anchors/grafana/kong-official.json')

// ---------------------------------------------------------------------------------------------
// PromQL: just enough of the grammar to find every selector, the labels its matchers use and
// the labels aggregations group it by. Anything unexpected throws, so a dashboard change that
// this parser does not understand fails the test instead of passing silently.

type Token =
  | { t: 'ident'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'range'; v: string }
  | { t: 'op'; v: string }

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++
    } else if (c === '"' || c === "'" || c === '`') {
      let v = ''
      i++
      while (src[i] !== c) {
        if (i >= src.length) throw new Error(`unterminated string in ${src}`)
        if (src[i] === '\\' && c !== '`') i++
        v += src[i++]
      }
      i++
      out.push({ t: 'str', v })
    } else if (c === '[') {
      const end = src.indexOf(']', i)
      out.push({ t: 'range', v: src.slice(i + 1, end) })
      i = end + 1
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?/i.exec(src.slice(i))!
      out.push({ t: 'num', v: m[0] })
      i += m[0].length
    } else if (/[A-Za-z_:]/.test(c)) {
      const m = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(src.slice(i))!
      out.push({ t: 'ident', v: m[0] })
      i += m[0].length
    } else {
      const two = src.slice(i, i + 2)
      if (['=~', '!~', '!=', '==', '>=', '<='].includes(two)) {
        out.push({ t: 'op', v: two })
        i += 2
      } else if ('(){},=+-*/%^<>'.includes(c)) {
        out.push({ t: 'op', v: c })
        i++
      } else {
        throw new Error(`unexpected character '${c}' in ${src}`)
      }
    }
  }
  return out
}

interface Matcher {
  label: string
  op: string
  value: string
}

type Node =
  | { k: 'selector'; metric: string; matchers: Matcher[] }
  | { k: 'agg'; op: string; by: string[]; without: boolean; args: Node[] }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'labelValues'; selector: Node; label: string }
  | { k: 'binary'; op: string; lhs: Node; rhs: Node }
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }

const AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values'])
const BINARY = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless'])

function parsePromQL(src: string): Node {
  const toks = tokenize(src)
  let p = 0
  const peek = () => toks[p]
  const next = () => {
    const t = toks[p++]
    if (!t) throw new Error(`unexpected end of ${src}`)
    return t
  }
  const expectOp = (v: string) => {
    const t = next()
    if (t.t !== 'op' || t.v !== v) throw new Error(`expected '${v}' but got '${t.v}' in ${src}`)
  }
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v
  const isIdent = (v: string) => peek()?.t === 'ident' && peek()!.v === v

  function labelList(): string[] {
    expectOp('(')
    const labels: string[] = []
    while (!isOp(')')) {
      const t = next()
      if (t.t !== 'ident') throw new Error(`expected a label name, got '${t.v}' in ${src}`)
      labels.push(t.v)
      if (isOp(',')) next()
    }
    expectOp(')')
    return labels
  }

  function args(): Node[] {
    expectOp('(')
    const list: Node[] = []
    while (!isOp(')')) {
      list.push(expr())
      if (isOp(',')) next()
    }
    expectOp(')')
    return list
  }

  function selector(metric: string): Node {
    const matchers: Matcher[] = []
    if (isOp('{')) {
      next()
      while (!isOp('}')) {
        const label = next()
        const op = next()
        const value = next()
        if (label.t !== 'ident' || op.t !== 'op' || value.t !== 'str') throw new Error(`bad matcher in ${src}`)
        matchers.push({ label: label.v, op: op.v, value: value.v })
        if (isOp(',')) next()
      }
      next()
    }
    if (peek()?.t === 'range') next()
    return { k: 'selector', metric, matchers }
  }

  function primary(): Node {
    const t = next()
    if (t.t === 'num') return { k: 'num', v: Number(t.v) }
    if (t.t === 'str') return { k: 'str', v: t.v }
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) return { k: 'binary', op: t.v, lhs: { k: 'num', v: 0 }, rhs: primary() }
    if (t.t === 'op' && t.v === '(') {
      const inner = expr()
      expectOp(')')
      if (peek()?.t === 'range') next()
      return inner
    }
    if (t.t !== 'ident') throw new Error(`unexpected '${t.v}' in ${src}`)
    if (AGGREGATIONS.has(t.v) && (isOp('(') || isIdent('by') || isIdent('without'))) {
      let by: string[] = []
      let without = false
      if (isIdent('by') || isIdent('without')) {
        without = next().v === 'without'
        by = labelList()
      }
      const a = args()
      if (isIdent('by') || isIdent('without')) {
        without = next().v === 'without'
        by = labelList()
      }
      return { k: 'agg', op: t.v, by, without, args: a }
    }
    if (t.v === 'label_values' && isOp('(')) {
      next()
      const sel = expr()
      expectOp(',')
      const label = next()
      if (label.t !== 'ident') throw new Error(`bad label_values in ${src}`)
      expectOp(')')
      return { k: 'labelValues', selector: sel, label: label.v }
    }
    if (isOp('(')) return { k: 'call', fn: t.v, args: args() }
    return selector(t.v)
  }

  function expr(): Node {
    let lhs = primary()
    for (;;) {
      const t = peek()
      const op = t && (t.t === 'op' || t.t === 'ident') && BINARY.has(t.v) ? t.v : undefined
      if (!op) return lhs
      next()
      if (isIdent('bool')) next()
      if (isIdent('on') || isIdent('ignoring')) {
        next()
        labelList()
      }
      if (isIdent('group_left') || isIdent('group_right')) {
        next()
        if (isOp('(')) labelList()
      }
      lhs = { k: 'binary', op, lhs, rhs: primary() }
    }
  }

  const tree = expr()
  if (p !== toks.length) throw new Error(`trailing input after position ${p} in ${src}`)
  return tree
}

interface Use {
  metric: string
  /** Labels the expression needs on this metric: matchers, grouping, label_replace sources. */
  labels: Set<string>
  matchers: Matcher[]
}

/** Every selector of an expression, with the labels used on it; plus labels the query itself creates. */
function usesOf(tree: Node): { uses: Use[]; derived: Set<string> } {
  const uses: Use[] = []
  const derived = new Set<string>()
  const walk = (n: Node, inherited: string[]): Use[] => {
    switch (n.k) {
      case 'selector': {
        const u: Use = { metric: n.metric, labels: new Set([...n.matchers.map((m) => m.label), ...inherited]), matchers: n.matchers }
        uses.push(u)
        return [u]
      }
      case 'agg':
        return n.args.flatMap((a) => walk(a, n.without ? inherited : [...inherited, ...n.by]))
      case 'labelValues': {
        const found = walk(n.selector, inherited)
        for (const u of found) u.labels.add(n.label)
        return found
      }
      case 'call': {
        if (n.fn === 'label_replace') {
          const [v, dst, , src] = n.args
          if (dst?.k !== 'str' || src?.k !== 'str' || !v) throw new Error('label_replace needs string arguments')
          derived.add(dst.v)
          const found = walk(v, inherited)
          for (const u of found) u.labels.add(src.v)
          return found
        }
        return n.args.flatMap((a) => walk(a, inherited))
      }
      case 'binary':
        return [...walk(n.lhs, inherited), ...walk(n.rhs, inherited)]
      default:
        return []
    }
  }
  walk(tree, [])
  return { uses, derived }
}

/** Every PromQL string of a Grafana dashboard: panel targets (rows nest panels) and variables. */
function dashboardQueries(dashboard: unknown): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = []
  const d = dashboard as {
    panels?: unknown[]
    templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: unknown }[] }
  }
  const panels = (list: unknown[] | undefined, path: string) => {
    for (const raw of list ?? []) {
      const panel = raw as { id?: number; title?: string; panels?: unknown[]; targets?: { expr?: string; refId?: string }[] }
      const where = `${path}/${panel.title ?? panel.id}`
      for (const t of panel.targets ?? []) if (typeof t.expr === 'string' && t.expr.trim() !== '') out.push({ where: `${where}#${t.refId}`, expr: t.expr })
      panels(panel.panels, where)
    }
  }
  panels(d.panels, '')
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query
    if (q) out.push({ where: `$${v.name}`, expr: q })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The exposition as a test reads it.

interface Scrape {
  text: string
  types: Map<string, string>
  /** Series name → label name → values seen. */
  series: Map<string, Map<string, Set<string>>>
  samples: { name: string; labels: Record<string, string>; value: number }[]
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
  for (const m of text.matchAll(re)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, '$1')
  return labels
}

function parseScrape(text: string): Scrape {
  const s: Scrape = { text, types: new Map(), series: new Map(), samples: [] }
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) s.types.set(type[1]!, type[2]!)
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(m, `malformed exposition line: ${line}`)
    const labels = parseLabels(m[2] ?? '')
    s.samples.push({ name: m[1]!, labels, value: Number(m[3]) })
    let byLabel = s.series.get(m[1]!)
    if (!byLabel) s.series.set(m[1]!, (byLabel = new Map()))
    for (const [k, v] of Object.entries(labels)) {
      if (!byLabel.has(k)) byLabel.set(k, new Set())
      byLabel.get(k)!.add(v)
    }
  }
  return s
}

function sample(s: Scrape, name: string, labels: Record<string, string>): number | undefined {
  return s.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value
}

function familiesOf(s: Scrape): Set<string> {
  return new Set(s.types.keys())
}

// ---------------------------------------------------------------------------------------------
// The gateway under test and its upstreams.

type Gateway = GatewayProcess

async function admin(g: Gateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${g.admin}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

async function ok(r: Promise<{ status: number; body: any }>, ...want: number[]): Promise<any> {
  const got = await r
  assert.ok(want.includes(got.status), `status ${got.status}: ${JSON.stringify(got.body)}`)
  return got.body
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=UTF-8')
  return parseScrape(await res.text())
}

const CHAT_USAGE = { prompt_tokens: 25, completion_tokens: 7, total_tokens: 32 }
const STREAM_USAGE = { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 }
/** How long the SSE upstream pauses after its first event. */
const SSE_PAUSE_MS = 600
/** Timers may fire a little early against performance.now(); durations are checked with this slack. */
const SLACK_MS = 50

/** An OpenAI-compatible model server: JSON completions, SSE when the request asks to stream. */
function llmHandler(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  if (req.url === '/health') {
    res.writeHead(200).end('ok')
    return
  }
  const request = body ? (JSON.parse(body) as { model?: string; stream?: boolean }) : {}
  if (!request.stream) {
    const payload = JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: request.model ?? 'unknown',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
      usage: CHAT_USAGE,
    })
    res.writeHead(200, { 'content-type': 'application/json' }).end(payload)
    return
  }
  const event = (obj: unknown) => `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`
  const chunk = (content: string) => ({ id: 'c1', object: 'chat.completion.chunk', model: request.model, choices: [{ index: 0, delta: { content } }], usage: null })
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.write(event(chunk('Hel')))
  setTimeout(() => {
    res.write(event(chunk('lo')))
    res.write(event({ id: 'c1', object: 'chat.completion.chunk', model: request.model, choices: [], usage: STREAM_USAGE }))
    res.end(event('[DONE]'))
  }, SSE_PAUSE_MS)
}

// ---------------------------------------------------------------------------------------------

const HIGH_COST = ['kong_http_requests_total', 'kong_kong_latency_ms', 'kong_upstream_latency_ms', 'kong_request_latency_ms', 'kong_bandwidth_bytes']
const NODE_FAMILIES = [
  'kong_nginx_connections_total',
  'kong_nginx_requests_total',
  'kong_datastore_reachable',
  'kong_node_info',
  'kong_memory_lua_shared_dict_bytes',
  'kong_memory_lua_shared_dict_total_bytes',
  'kong_memory_workers_lua_vms_bytes',
]
const ALL_SWITCHES = {
  per_consumer: true,
  status_code_metrics: true,
  ai_metrics: true,
  latency_metrics: true,
  bandwidth_metrics: true,
  upstream_health_metrics: true,
}

describe('Kong official Grafana dashboard against our /metrics', () => {
  let g: Gateway
  let dir: string
  let plain: UpstreamServer
  let llm: UpstreamServer
  let dead: UpstreamServer
  let pluginId: string
  let firstChunkMs = 0
  let streamMs = 0
  let adminScrape: Scrape
  let statusScrape: Scrape

  before(async () => {
    assert.ok(existsSync(DASHBOARD), `dashboard anchor missing: ${DASHBOARD} (expected shared/ beside the repository)`)
    dir = mkdtempSync(join(tmpdir(), 'switchyard-dash-'))
    plain = await startUpstream('plain')
    llm = await startUpstream('llm', llmHandler)
    // A target whose server is gone: marked unhealthy through the Admin API.
    dead = await startUpstream('dead')
    await dead.close()
    g = await startGateway({ SWITCHYARD_DATA_DIR: dir })

    // Health-checked upstream of two model servers; one unchecked upstream; one that cannot resolve.
    await ok(
      admin(g, 'POST', '/upstreams', {
        name: 'models',
        healthchecks: { active: { http_path: '/health', healthy: { interval: 1 }, unhealthy: { interval: 1 } } },
      }),
      201
    )
    await ok(admin(g, 'POST', '/upstreams/models/targets', { target: llm.address }), 201)
    await ok(admin(g, 'POST', '/upstreams/models/targets', { target: dead.address }), 201)
    await ok(admin(g, 'PUT', `/upstreams/models/targets/${dead.address}/unhealthy`), 204)
    await ok(admin(g, 'POST', '/upstreams', { name: 'plain-up' }), 201)
    await ok(admin(g, 'POST', '/upstreams/plain-up/targets', { target: plain.address }), 201)
    await ok(admin(g, 'POST', '/upstreams', { name: 'broken' }), 201)
    await ok(admin(g, 'POST', '/upstreams/broken/targets', { target: 'nowhere.invalid:80' }), 201)

    await ok(admin(g, 'POST', '/services', { name: 'plain-svc', host: 'plain-up' }), 201)
    await ok(admin(g, 'POST', '/services/plain-svc/routes', { name: 'plain-route', paths: ['/plain'] }), 201)
    await ok(admin(g, 'POST', '/services', { name: 'llm-svc', host: 'models' }), 201)
    await ok(admin(g, 'POST', '/services/llm-svc/routes', { name: 'chat-route', paths: ['/ai'] }), 201)
    pluginId = (await ok(admin(g, 'POST', '/plugins', { name: 'prometheus', config: ALL_SWITCHES }), 201)).id

    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${g.proxy}/plain/x`)).status, 200)
    for (let i = 0; i < 2; i++) {
      assert.equal((await fetch(`${g.proxy}/plain/upload`, { method: 'POST', body: 'x'.repeat(100) })).status, 200)
    }
    const chat = await fetch(`${g.proxy}/ai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    })
    assert.equal(chat.status, 200)
    assert.deepEqual(((await chat.json()) as { usage: unknown }).usage, CHAT_USAGE)

    const started = performance.now()
    const stream = await fetch(`${g.proxy}/ai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    })
    assert.equal(stream.status, 200)
    const reader = stream.body!.getReader()
    let text = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (firstChunkMs === 0) firstChunkMs = performance.now() - started
      text += Buffer.from(value).toString()
    }
    streamMs = performance.now() - started
    assert.ok(text.endsWith('data: [DONE]\n\n'), text)
    assert.equal((await fetch(`${g.proxy}/nope`)).status, 404)

    adminScrape = await scrape(g.admin)
    statusScrape = await scrape(g.status)
  })

  after(async () => {
    if (g) await g.stop()
    await plain?.close()
    await llm?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('the dashboard has the 44 panel targets and 4 query variables of Kong 3.9.3', () => {
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')))
    assert.equal(queries.filter((q) => !q.where.startsWith('$')).length, 44)
    assert.equal(queries.filter((q) => q.where.startsWith('$')).length, 4)
    for (const q of queries) assert.doesNotThrow(() => parsePromQL(q.expr), q.where)
  })

  test('every metric name and label the dashboard queries is in our /metrics after traffic', () => {
    // Prometheus adds these per scrape target; an exporter never prints them (reference §2.4).
    const SCRAPE_LABELS = new Set(['instance', 'job'])
    // Kong's "Total Bandwidth" panel groups by `type`, which Kong never emits (§2.5): a
    // compatible exporter must not invent it either.
    const KNOWN_QUIRKS = new Set(['kong_bandwidth_bytes:type'])
    const queries = dashboardQueries(JSON.parse(readFileSync(DASHBOARD, 'utf8')))
    const missing: string[] = []
    const quirksSeen = new Set<string>()
    const checked = new Set<string>()
    for (const q of queries) {
      const { uses, derived } = usesOf(parsePromQL(q.expr))
      assert.ok(uses.length > 0, `${q.where}: no metric in ${q.expr}`)
      for (const u of uses) {
        const labels = statusScrape.series.get(u.metric)
        if (!labels) {
          missing.push(`${q.where}: metric ${u.metric}`)
          continue
        }
        checked.add(u.metric)
        if (u.metric.endsWith('_bucket')) {
          const base = u.metric.slice(0, -'_bucket'.length)
          assert.equal(statusScrape.types.get(base), 'histogram', `${u.metric} belongs to histogram ${base}`)
        }
        for (const label of u.labels) {
          if (SCRAPE_LABELS.has(label) || derived.has(label)) continue
          if (KNOWN_QUIRKS.has(`${u.metric}:${label}`)) {
            assert.ok(!labels.has(label), `${u.metric} must not carry '${label}' (Kong does not)`)
            quirksSeen.add(`${u.metric}:${label}`)
            continue
          }
          if (!labels.has(label)) missing.push(`${q.where}: label ${label} on ${u.metric}`)
        }
        // Literal matcher values must select something (e.g. direction="ingress", state="total").
        for (const m of u.matchers) {
          if (SCRAPE_LABELS.has(m.label) || m.value.includes('$')) continue
          const values = [...(labels.get(m.label) ?? [])]
          if (m.op === '=') {
            if (!values.includes(m.value)) missing.push(`${q.where}: no series ${u.metric}{${m.label}="${m.value}"}`)
          } else if (m.op === '=~') {
            const re = new RegExp(`^(?:${m.value})$`)
            const alternatives = /^\(?([a-z_|]+)\)?$/.test(m.value) ? m.value.replace(/[()]/g, '').split('|') : []
            for (const alt of alternatives) if (!values.includes(alt)) missing.push(`${q.where}: no series ${u.metric}{${m.label}="${alt}"}`)
            if (!values.some((v) => re.test(v))) missing.push(`${q.where}: nothing matches ${u.metric}{${m.label}=~"${m.value}"}`)
          }
        }
      }
    }
    assert.deepEqual(missing, [])
    assert.deepEqual([...quirksSeen], [...KNOWN_QUIRKS])
    assert.deepEqual([...checked].sort(), [
      'kong_bandwidth_bytes',
      'kong_http_requests_total',
      'kong_kong_latency_ms_bucket',
      'kong_memory_lua_shared_dict_bytes',
      'kong_memory_lua_shared_dict_total_bytes',
      'kong_memory_workers_lua_vms_bytes',
      'kong_nginx_connections_total',
      'kong_request_latency_ms_bucket',
      'kong_upstream_latency_ms_bucket',
      'kong_upstream_target_health',
    ])
  })

  test('the Admin API and the status listener print one registry', () => {
    assert.deepEqual([...familiesOf(adminScrape)].sort(), [...familiesOf(statusScrape)].sort())
    const count = (s: Scrape) => sample(s, 'kong_http_requests_total', { route: 'plain-route', code: '200' })
    assert.equal(count(adminScrape), 5)
    assert.equal(count(statusScrape), 5)
  })

  test('every body line is a comment, a kong_ metric or our switchyard_ config gauges', () => {
    for (const line of statusScrape.text.split('\n').filter(Boolean)) assert.match(line, /^(#|kong_|switchyard_config_)/)
  })

  test('kong_http_requests_total: per service, route, code and source; unmatched requests not counted', () => {
    const s = statusScrape
    const labels = { service: 'plain-svc', route: 'plain-route', code: '200', source: 'service', workspace: 'default', consumer: '' }
    assert.equal(sample(s, 'kong_http_requests_total', labels), 5)
    assert.equal(sample(s, 'kong_http_requests_total', { route: 'chat-route', code: '200' }), 2)
    assert.ok(!s.samples.some((x) => x.name === 'kong_http_requests_total' && x.labels['code'] === '404'))
    assert.match(s.text, /^kong_http_requests_total\{service="plain-svc",route="plain-route",code="200",source="service",workspace="default",consumer=""\} 5$/m)
  })

  test('latency histograms: Kong buckets, one observation per request', () => {
    for (const name of ['kong_kong_latency_ms', 'kong_upstream_latency_ms', 'kong_request_latency_ms']) {
      assert.equal(statusScrape.types.get(name), 'histogram')
      assert.equal(sample(statusScrape, `${name}_count`, { route: 'plain-route', service: 'plain-svc', workspace: 'default' }), 5, name)
      assert.equal(sample(statusScrape, `${name}_bucket`, { route: 'chat-route', le: '+Inf' }), 2, name)
    }
    const les = statusScrape.samples
      .filter((x) => x.name === 'kong_kong_latency_ms_bucket' && x.labels['route'] === 'plain-route')
      .map((x) => x.labels['le'])
    assert.deepEqual(les, ['1', '2', '5', '7', '10', '15', '20', '30', '50', '75', '100', '200', '500', '750', '1000', '3000', '6000', '+Inf'])
    // The streamed request's total time includes the upstream's pause.
    const sum = sample(statusScrape, 'kong_request_latency_ms_sum', { route: 'chat-route' })!
    assert.ok(sum >= SSE_PAUSE_MS - SLACK_MS, `request latency sum ${sum}`)
  })

  test('kong_bandwidth_bytes: ingress and egress per route, headers included as in nginx', () => {
    const s = statusScrape
    // Bodies plus each request's line and headers (at least "POST /plain HTTP/1.1" and a Host header).
    const ingress = sample(s, 'kong_bandwidth_bytes', { route: 'plain-route', direction: 'ingress' })!
    assert.ok(ingress > 200 + 5 * 'POST / HTTP/1.1\r\nhost: x\r\n\r\n'.length, `ingress ${ingress}`)
    // Bodies plus each response's status line and headers.
    const egress = sample(s, 'kong_bandwidth_bytes', { route: 'plain-route', direction: 'egress' })!
    assert.ok(egress > 5 * ('plain'.length + 'HTTP/1.1 200 OK\r\n\r\n'.length), `egress ${egress}`)
    assert.ok(sample(s, 'kong_bandwidth_bytes', { route: 'chat-route', direction: 'egress' })! > 0)
  })

  test('kong_upstream_target_health: four series per address, exactly one at 1, every state', () => {
    const rows = statusScrape.samples.filter((x) => x.name === 'kong_upstream_target_health')
    const byAddress = new Map<string, typeof rows>()
    for (const r of rows) {
      const key = `${r.labels['upstream']}|${r.labels['target']}|${r.labels['address']}`
      byAddress.set(key, [...(byAddress.get(key) ?? []), r])
    }
    assert.equal(byAddress.size, 4)
    for (const [key, series] of byAddress) {
      assert.deepEqual(series.map((x) => x.labels['state']).sort(), ['dns_error', 'healthchecks_off', 'healthy', 'unhealthy'], key)
      assert.equal(series.filter((x) => x.value === 1).length, 1, key)
      assert.ok(series.every((x) => x.labels['subsystem'] === 'http'))
    }
    const current = (target: string) => rows.find((x) => x.labels['target'] === target && x.value === 1)?.labels
    assert.deepEqual(current(llm.address), { upstream: 'models', target: llm.address, address: llm.address, state: 'healthy', subsystem: 'http' })
    assert.equal(current(dead.address)?.['state'], 'unhealthy')
    assert.equal(current(plain.address)?.['state'], 'healthchecks_off')
    assert.deepEqual(current('nowhere.invalid:80'), { upstream: 'broken', target: 'nowhere.invalid:80', address: '', state: 'dns_error', subsystem: 'http' })
  })

  test('node gauges: connections, requests, datastore, node info, memory, metric errors, config version', async () => {
    const s = statusScrape
    for (const state of ['accepted', 'handled', 'total', 'active', 'reading', 'writing', 'waiting']) {
      assert.ok(sample(s, 'kong_nginx_connections_total', { subsystem: 'http', state }) !== undefined, state)
    }
    assert.ok(sample(s, 'kong_nginx_connections_total', { state: 'total' })! >= 8)
    assert.ok(sample(s, 'kong_nginx_connections_total', { state: 'accepted' })! >= 1)
    assert.ok(sample(s, 'kong_nginx_requests_total', { subsystem: 'http' })! >= 8)
    assert.equal(sample(s, 'kong_datastore_reachable', {}), 1)
    const node = (await ok(admin(g, 'GET', '/'), 200)) as { node_id: string }
    assert.equal(sample(s, 'kong_node_info', { node_id: node.node_id, version: '3.9.3' }), 1)
    const dict = { node_id: node.node_id, shared_dict: 'v8_heap', kong_subsystem: 'http' }
    assert.ok(sample(s, 'kong_memory_lua_shared_dict_bytes', dict)! > 0)
    assert.ok(sample(s, 'kong_memory_lua_shared_dict_total_bytes', dict)! > sample(s, 'kong_memory_lua_shared_dict_bytes', dict)!)
    assert.ok(sample(s, 'kong_memory_workers_lua_vms_bytes', { node_id: node.node_id, kong_subsystem: 'http' })! > 0)
    assert.match(s.text, /^kong_memory_workers_lua_vms_bytes\{node_id="[^"]+",pid="\d+",kong_subsystem="http"\} \d+$/m)
    assert.equal(sample(s, 'kong_nginx_metric_errors_total', {}), 0)
    const status = (await (await fetch(`${g.status}/status`)).json()) as { config_version: number; config_hash: string }
    assert.equal(sample(s, 'switchyard_config_version', {}), status.config_version)
    assert.equal(sample(s, 'switchyard_config_hash_info', { config_hash: status.config_hash }), 1)
  })

  test('AI metrics from JSON and SSE usage; the stream is not held back', () => {
    const s = statusScrape
    const ai = (model: string) => ({ ai_provider: 'openai', ai_model: model, cache_status: '', vector_db: '', embeddings_provider: '', embeddings_model: '', workspace: 'default' })
    assert.equal(sample(s, 'kong_ai_llm_requests_total', ai('gpt-4o-mini')), 1)
    assert.equal(sample(s, 'kong_ai_llm_requests_total', ai('llama-3')), 1)
    for (const [model, usage] of [['gpt-4o-mini', CHAT_USAGE], ['llama-3', STREAM_USAGE]] as const) {
      for (const [type, n] of Object.entries(usage)) {
        assert.equal(sample(s, 'kong_ai_llm_tokens_total', { ...ai(model), token_type: type }), n, `${model} ${type}`)
      }
    }
    assert.match(
      s.text,
      /^kong_ai_llm_tokens_total\{ai_provider="openai",ai_model="llama-3",cache_status="",vector_db="",embeddings_provider="",embeddings_model="",token_type="prompt_tokens",workspace="default"\} 11$/m
    )
    assert.equal(sample(s, 'kong_ai_llm_provider_latency_ms_count', ai('llama-3')), 1)
    const providerMs = sample(s, 'kong_ai_llm_provider_latency_ms_sum', ai('llama-3'))!
    assert.ok(providerMs >= SSE_PAUSE_MS - SLACK_MS, `provider latency ${providerMs}`)
    // The first event reaches the client long before the upstream finishes: the tap holds nothing back.
    assert.ok(firstChunkMs < SSE_PAUSE_MS - SLACK_MS, `first SSE chunk after ${firstChunkMs} ms`)
    assert.ok(streamMs >= SSE_PAUSE_MS - SLACK_MS, `stream took ${streamMs} ms`)
  })

  test('gating: disabled or deleted plugin leaves node gauges only; a route-scoped instance records its route', async () => {
    await ok(admin(g, 'PATCH', `/plugins/${pluginId}`, { enabled: false }), 200)
    await fetch(`${g.proxy}/plain/x`)
    for (const url of [g.admin, g.status]) {
      const off = await scrape(url)
      for (const f of [...HIGH_COST, 'kong_nginx_metric_errors_total', 'kong_upstream_target_health', 'kong_ai_llm_requests_total']) {
        assert.ok(!familiesOf(off).has(f), `${f} printed while disabled`)
      }
      for (const f of NODE_FAMILIES) assert.ok(familiesOf(off).has(f), `${f} missing while disabled`)
      for (const state of ['accepted', 'active', 'handled', 'reading', 'total', 'waiting', 'writing']) {
        assert.ok(sample(off, 'kong_nginx_connections_total', { state }) !== undefined, state)
      }
    }
    await ok(admin(g, 'PATCH', `/plugins/${pluginId}`, { enabled: true }), 200)
    const back = await scrape(g.status)
    assert.equal(sample(back, 'kong_http_requests_total', { route: 'plain-route', code: '200' }), 5, 'no recording while disabled')
    await ok(admin(g, 'DELETE', `/plugins/${pluginId}`), 204)
    const deleted = await scrape(g.status)
    for (const f of HIGH_COST) assert.ok(!familiesOf(deleted).has(f), `${f} printed after delete`)

    // Only the plain route's instance: chat traffic is not recorded, and only status codes are.
    await ok(admin(g, 'POST', '/routes/plain-route/plugins', { name: 'prometheus', config: { status_code_metrics: true } }), 201)
    await fetch(`${g.proxy}/plain/x`)
    await fetch(`${g.proxy}/ai/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini' }) })
    const scoped = await scrape(g.status)
    assert.equal(sample(scoped, 'kong_http_requests_total', { route: 'plain-route', code: '200' }), 6)
    assert.equal(sample(scoped, 'kong_http_requests_total', { route: 'chat-route', code: '200' }), 2)
    assert.equal(sample(scoped, 'kong_kong_latency_ms_count', { route: 'plain-route' }), 5, 'latency_metrics off on this instance')
    assert.equal(sample(scoped, 'kong_ai_llm_requests_total', { ai_model: 'gpt-4o-mini' }), 1)
    assert.ok(!familiesOf(scoped).has('kong_upstream_target_health'), 'no instance asks for target health')
  })
})

describe('PromQL extraction', () => {
  test('selectors, grouping, label_replace and label_values (table)', () => {
    const cases: { expr: string; want: Record<string, string[]>; derived?: string[] }[] = [
      { expr: 'sum(rate(m_total{a=~"$a", b="x"}[1m])) by (c,d)', want: { m_total: ['a', 'b', 'c', 'd'] } },
      { expr: 'histogram_quantile(0.9, sum(rate(h_bucket{}[1m])) by (le))', want: { h_bucket: ['le'] } },
      { expr: 'sum by (x) (g) * -1 + sum(k{s=~"(a|b)"}) by (y)', want: { g: ['x'], k: ['s', 'y'] } },
      { expr: '(a{i="1"}/b{i="1"})*100', want: { a: ['i'], b: ['i'] } },
      { expr: 'label_values(kong_upstream_target_health, upstream)', want: { kong_upstream_target_health: ['upstream'] } },
      {
        expr: 'sum(\n# comment\n label_replace(h{u=~"$u"}, "sv", "1", "state", "healthy")) by (u, sv) > 0',
        want: { h: ['u', 'sv', 'state'] },
        derived: ['sv'],
      },
    ]
    for (const c of cases) {
      const { uses, derived } = usesOf(parsePromQL(c.expr))
      const got = Object.fromEntries(uses.map((u) => [u.metric, [...u.labels].sort()]))
      assert.deepEqual(got, Object.fromEntries(Object.entries(c.want).map(([k, v]) => [k, [...v].sort()])), c.expr)
      assert.deepEqual([...derived], c.derived ?? [], c.expr)
    }
    assert.throws(() => parsePromQL('sum(m) by (a'), /expected/)
  })
})
