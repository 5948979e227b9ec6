// One node's metrics under Kong's names (reference metrics-and-ratelimit.md §1.4): a prom-client
// Registry per node holding every family with Kong's label order and buckets, a recording API
// for requests (per the applicable prometheus instance's switches) and scrape-time gauges, and
// a scrape that prints Kong's exposition with Kong's gating: without an enabled prometheus
// instance only node-level gauges are printed.

import { Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client'
import { getHeapStatistics } from 'node:v8'
import { AI_PROVIDER_LATENCY_BUCKETS, KONG_LATENCY_BUCKETS, UPSTREAM_LATENCY_BUCKETS } from './buckets.js'
import type { ConnectionStats } from './connection-counters.js'
import { renderFamilies, type Family, type MetricType, type Series } from './exposition.js'
import { SeriesCounter, SeriesHistogram, type CounterCell, type HistogramCell } from './request-series.js'
import type { PrometheusSwitches, ScrapeGate } from './switches.js'
import { TARGET_HEALTH_STATES, type TargetHealthRow } from './target-health.js'

export const KONG_METRICS_VERSION = '3.9.3'
const WORKSPACE = 'default'
const SUBSYSTEM = 'http'

/** One client request as the exporter's log phase sees it (a request that matched a route). */
export interface RequestSample {
  /** Service name, else its host, else "" (route without service). */
  service: string
  /** Route name, else its id. */
  route: string
  status: number
  /** `service` when the upstream answered, `kong` when the gateway produced the response. */
  source: 'service' | 'kong'
  /** Consumer username (used only with per_consumer). */
  consumer?: string | undefined
  workspace?: string | undefined
  /** The gateway's own time (total minus the upstream wait). */
  kongLatencyMs: number
  /** Time to the upstream's response headers; undefined when nothing was proxied. */
  upstreamLatencyMs?: number | undefined
  requestLatencyMs: number
  requestBytes: number
  responseBytes: number
  /** LLM usage found in the response (ai_metrics). */
  ai?: AiSample | undefined
}

export interface AiSample {
  provider: string
  model: string
  promptTokens?: number | undefined
  completionTokens?: number | undefined
  totalTokens?: number | undefined
  /** Provider end-to-end latency. */
  latencyMs?: number | undefined
  cost?: number | undefined
}

/** Everything a scrape needs besides what requests recorded. */
export interface ScrapeInput {
  gate: ScrapeGate
  connections?: ConnectionStats | undefined
  datastoreReachable?: boolean | undefined
  /** Data planes only: whether the control plane answers. */
  controlPlaneConnected?: boolean | undefined
  /** Used only when gate.upstreamHealth. */
  targets?: readonly TargetHealthRow[] | undefined
  config?: { version: number; hash: string } | undefined
}

export interface KongMetricsOptions {
  nodeId: string
  version?: string
  pid?: number
  /** Memory figures; defaults to this process's. */
  memory?: () => { heapUsed: number; heapLimit: number }
  /** Running timers; defaults to this process's active Timeout handles. */
  timers?: () => number
}

const AI_LABELS = ['ai_provider', 'ai_model', 'cache_status', 'vector_db', 'embeddings_provider', 'embeddings_model'] as const

/** Declared label order per family: output prints labels in this order, `le` last. */
const LABELS = {
  kong_nginx_connections_total: ['node_id', 'subsystem', 'state'],
  kong_nginx_requests_total: ['node_id', 'subsystem'],
  kong_nginx_timers: ['state'],
  kong_datastore_reachable: [],
  kong_node_info: ['node_id', 'version'],
  kong_control_plane_connected: [],
  kong_upstream_target_health: ['upstream', 'target', 'address', 'state', 'subsystem'],
  kong_memory_workers_lua_vms_bytes: ['node_id', 'pid', 'kong_subsystem'],
  kong_memory_lua_shared_dict_bytes: ['node_id', 'shared_dict', 'kong_subsystem'],
  kong_memory_lua_shared_dict_total_bytes: ['node_id', 'shared_dict', 'kong_subsystem'],
  switchyard_config_version: [],
  switchyard_config_hash_info: ['config_hash'],
  kong_nginx_metric_errors_total: [],
  kong_http_requests_total: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
  kong_kong_latency_ms: ['service', 'route', 'workspace'],
  kong_upstream_latency_ms: ['service', 'route', 'workspace'],
  kong_request_latency_ms: ['service', 'route', 'workspace'],
  kong_bandwidth_bytes: ['service', 'route', 'direction', 'workspace', 'consumer'],
  kong_ai_llm_requests_total: [...AI_LABELS, 'workspace'],
  kong_ai_llm_cost_total: [...AI_LABELS, 'workspace'],
  kong_ai_llm_tokens_total: [...AI_LABELS, 'token_type', 'workspace'],
  kong_ai_llm_provider_latency_ms: [...AI_LABELS, 'workspace'],
  // Extensions: AI-aware balancing on this node.
  switchyard_ai_cooldowns_total: ['upstream', 'target', 'reason'],
  switchyard_ai_target_tokens_total: ['upstream', 'target'],
  switchyard_ai_failovers_total: ['upstream', 'reason'],
  switchyard_ai_exhausted_total: ['upstream'],
} as const satisfies Record<string, readonly string[]>

type FamilyName = keyof typeof LABELS

/**
 * Families kept in Kong's shared dict: printed only while a prometheus instance is enabled
 * (gating rule 1). Everything else is a node-level gauge, always printed.
 */
export const SHARED_FAMILIES: ReadonlySet<string> = new Set<FamilyName>([
  'kong_nginx_metric_errors_total',
  'kong_http_requests_total',
  'kong_kong_latency_ms',
  'kong_upstream_latency_ms',
  'kong_request_latency_ms',
  'kong_bandwidth_bytes',
  'kong_ai_llm_requests_total',
  'kong_ai_llm_cost_total',
  'kong_ai_llm_tokens_total',
  'kong_ai_llm_provider_latency_ms',
])

/**
 * The series one (workspace, service, route, consumer) records into, found once and then held:
 * a request adds to them without building label arrays or keys. Cells are taken on first use,
 * so a series appears only once something was recorded in it (as before).
 */
class RouteCells {
  kong: HistogramCell | undefined
  upstream: HistogramCell | undefined
  request: HistogramCell | undefined
  ingress: CounterCell | undefined
  egress: CounterCell | undefined
  /** kong_http_requests_total by status, one map per source. */
  readonly fromService = new Map<number, CounterCell>()
  readonly fromKong = new Map<number, CounterCell>()

  constructor(
    readonly service: string,
    readonly route: string,
    readonly workspace: string,
    readonly consumer: string
  ) {}
}

/** The kong_ai_llm_* series of one (workspace, provider, model), taken on first use. */
class AiCells {
  requests: CounterCell | undefined
  cost: CounterCell | undefined
  latency: HistogramCell | undefined
  prompt: CounterCell | undefined
  completion: CounterCell | undefined
  total: CounterCell | undefined

  constructor(
    readonly provider: string,
    readonly model: string,
    readonly workspace: string
  ) {}

  // Cache and vector-db labels are Enterprise features: always "" here, as in Kong OSS.
  labels(): string[] {
    return [this.provider, this.model, '', '', '', '', this.workspace]
  }

  tokenLabels(tokenType: string): string[] {
    return [this.provider, this.model, '', '', '', '', tokenType, this.workspace]
  }
}

type Nested<T> = Map<string, T>

function defaultMemory(): { heapUsed: number; heapLimit: number } {
  const h = getHeapStatistics()
  return { heapUsed: h.used_heap_size, heapLimit: h.heap_size_limit }
}

function defaultTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
}

export class KongMetrics {
  readonly registry = new Registry()
  readonly nodeId: string
  private readonly version: string
  private readonly pid: string
  private readonly memory: () => { heapUsed: number; heapLimit: number }
  private readonly timers: () => number
  /** Scalar gauges printed only when the node has that fact (e.g. control plane connection). */
  private readonly absent = new Set<FamilyName>(['kong_control_plane_connected', 'switchyard_config_version'])

  private readonly connections = this.gauge('kong_nginx_connections_total', 'Client connections and requests of this node, by state')
  private readonly requests = this.gauge('kong_nginx_requests_total', 'Requests this node has served')
  private readonly timerGauge = this.gauge('kong_nginx_timers', 'Timers of this process, by state')
  private readonly datastore = this.gauge('kong_datastore_reachable', 'Datastore reachable from this node, 0 is unreachable')
  private readonly nodeInfo = this.gauge('kong_node_info', 'This node: id and the Kong version it is compatible with (value always 1)')
  private readonly cpConnected = this.gauge('kong_control_plane_connected', 'Control plane reachable from this data plane, 0 is unreachable')
  private readonly targetHealth = this.gauge(
    'kong_upstream_target_health',
    'Health of targets: 1 for the current state (healthchecks_off, healthy, unhealthy, dns_error), 0 for the others'
  )
  private readonly vmBytes = this.gauge('kong_memory_workers_lua_vms_bytes', 'Allocated bytes of the worker (process heap in use)')
  private readonly dictBytes = this.gauge('kong_memory_lua_shared_dict_bytes', 'Allocated bytes of shared memory (process heap in use)')
  private readonly dictTotal = this.gauge('kong_memory_lua_shared_dict_total_bytes', 'Capacity of shared memory (process heap limit)')
  private readonly configVersion = this.gauge('switchyard_config_version', 'Configuration version this node serves')
  private readonly configHash = this.gauge('switchyard_config_hash_info', 'Hash of the configuration this node serves (value always 1)')

  private readonly errors = this.counter('kong_nginx_metric_errors_total', 'Failures while recording a metric')
  private readonly httpRequests = this.requestCounter('kong_http_requests_total', 'Requests by response status, per service, route and consumer')
  private readonly kongLatency = this.requestHistogram('kong_kong_latency_ms', 'Latency added by the gateway, in ms', KONG_LATENCY_BUCKETS)
  private readonly upstreamLatency = this.requestHistogram('kong_upstream_latency_ms', 'Upstream latency (time to response headers), in ms', UPSTREAM_LATENCY_BUCKETS)
  private readonly requestLatency = this.requestHistogram('kong_request_latency_ms', 'Total request latency, in ms', UPSTREAM_LATENCY_BUCKETS)
  private readonly bandwidth = this.requestCounter('kong_bandwidth_bytes', 'Bytes received from clients (ingress) and sent to them (egress)')
  private readonly aiRequests = this.requestCounter('kong_ai_llm_requests_total', 'LLM requests with usage seen, per provider and model')
  private readonly aiCost = this.requestCounter('kong_ai_llm_cost_total', 'LLM cost, per provider and model')
  private readonly aiTokens = this.requestCounter('kong_ai_llm_tokens_total', 'LLM tokens by type, per provider and model')
  private readonly aiLatency = this.requestHistogram('kong_ai_llm_provider_latency_ms', 'LLM response latency, in ms', AI_PROVIDER_LATENCY_BUCKETS)

  private readonly aiCooldowns = this.counter('switchyard_ai_cooldowns_total', 'Cooldowns this node started, per target and reason (rate_limited, overloaded, depleted, budget)')
  private readonly aiTargetTokens = this.counter('switchyard_ai_target_tokens_total', 'Tokens counted against each target (reported usage, else the reservation)')
  private readonly aiFailovers = this.counter('switchyard_ai_failovers_total', 'Requests moved to another target, per upstream and reason')
  private readonly aiExhausted = this.counter('switchyard_ai_exhausted_total', 'Client 429s answered because every target was cooling down or out of budget')

  /** workspace → service → route → consumer ('' without per_consumer) → cells. */
  private cells: Nested<Nested<Nested<Nested<RouteCells>>>> = new Map()
  /** workspace → provider → model → cells. */
  private aiCells: Nested<Nested<Nested<AiCells>>> = new Map()

  constructor(opts: KongMetricsOptions) {
    const forget = () => {
      this.cells = new Map()
      this.aiCells = new Map()
    }
    const held = [this.httpRequests, this.kongLatency, this.upstreamLatency, this.requestLatency, this.bandwidth]
    for (const s of [...held, this.aiRequests, this.aiCost, this.aiTokens, this.aiLatency]) s.onReset = forget
    this.nodeId = opts.nodeId
    this.version = opts.version ?? KONG_METRICS_VERSION
    this.pid = String(opts.pid ?? process.pid)
    this.memory = opts.memory ?? defaultMemory
    this.timers = opts.timers ?? defaultTimers
  }

  private gauge<N extends FamilyName>(name: N, help: string): Gauge<(typeof LABELS)[N][number]> {
    return new Gauge({ name, help, labelNames: LABELS[name], registers: [this.registry] })
  }

  private counter<N extends FamilyName>(name: N, help: string): Counter<(typeof LABELS)[N][number]> {
    return new Counter({ name, help, labelNames: LABELS[name], registers: [this.registry] })
  }

  private requestCounter(name: FamilyName, help: string): SeriesCounter {
    return new SeriesCounter(name, help, LABELS[name], this.registry)
  }

  private requestHistogram(name: FamilyName, help: string, buckets: readonly number[]): SeriesHistogram {
    return new SeriesHistogram(name, help, LABELS[name], this.registry, buckets)
  }

  /**
   * Records one routed request with the switches of the prometheus instance that applies to
   * it. A recording failure counts in kong_nginx_metric_errors_total and never throws.
   */
  recordRequest(s: RequestSample, sw: PrometheusSwitches): void {
    try {
      const c = this.cellsFor(s.workspace ?? WORKSPACE, s.service, s.route, sw.per_consumer ? (s.consumer ?? '') : '')
      // Label values in each family's declaration order (LABELS).
      if (sw.status_code_metrics) {
        const byCode = s.source === 'service' ? c.fromService : c.fromKong
        let cell = byCode.get(s.status)
        if (!cell) {
          cell = this.httpRequests.cell([c.service, c.route, String(s.status), s.source, c.workspace, c.consumer])
          byCode.set(s.status, cell)
        }
        cell.value++
      }
      if (sw.latency_metrics) {
        if (s.kongLatencyMs >= 0) this.kongLatency.observeCell((c.kong ??= this.kongLatency.cell(this.baseLabels(c))), s.kongLatencyMs)
        if (s.upstreamLatencyMs !== undefined && s.upstreamLatencyMs >= 0) {
          this.upstreamLatency.observeCell((c.upstream ??= this.upstreamLatency.cell(this.baseLabels(c))), s.upstreamLatencyMs)
        }
        if (s.requestLatencyMs >= 0) this.requestLatency.observeCell((c.request ??= this.requestLatency.cell(this.baseLabels(c))), s.requestLatencyMs)
      }
      if (sw.bandwidth_metrics) {
        // Kong skips a side that moved no bytes.
        if (s.requestBytes > 0) {
          this.bandwidth.add((c.ingress ??= this.bandwidth.cell([c.service, c.route, 'ingress', c.workspace, c.consumer])), s.requestBytes)
        }
        if (s.responseBytes > 0) {
          this.bandwidth.add((c.egress ??= this.bandwidth.cell([c.service, c.route, 'egress', c.workspace, c.consumer])), s.responseBytes)
        }
      }
      if (sw.ai_metrics && s.ai) this.recordAi(s.ai, c.workspace)
    } catch {
      this.errors.inc()
    }
  }

  private baseLabels(c: RouteCells): string[] {
    return [c.service, c.route, c.workspace]
  }

  private cellsFor(workspace: string, service: string, route: string, consumer: string): RouteCells {
    let byService = this.cells.get(workspace)
    if (!byService) this.cells.set(workspace, (byService = new Map()))
    let byRoute = byService.get(service)
    if (!byRoute) byService.set(service, (byRoute = new Map()))
    let byConsumer = byRoute.get(route)
    if (!byConsumer) byRoute.set(route, (byConsumer = new Map()))
    let c = byConsumer.get(consumer)
    if (!c) byConsumer.set(consumer, (c = new RouteCells(service, route, workspace, consumer)))
    return c
  }

  private recordAi(ai: AiSample, workspace: string): void {
    let byProvider = this.aiCells.get(workspace)
    if (!byProvider) this.aiCells.set(workspace, (byProvider = new Map()))
    let byModel = byProvider.get(ai.provider)
    if (!byModel) byProvider.set(ai.provider, (byModel = new Map()))
    let c = byModel.get(ai.model)
    if (!c) byModel.set(ai.model, (c = new AiCells(ai.provider, ai.model, workspace)))
    this.aiRequests.add((c.requests ??= this.aiRequests.cell(c.labels())))
    if (ai.cost !== undefined && ai.cost > 0) this.aiCost.add((c.cost ??= this.aiCost.cell(c.labels())), ai.cost)
    if (ai.latencyMs !== undefined && ai.latencyMs >= 0) this.aiLatency.observeCell((c.latency ??= this.aiLatency.cell(c.labels())), ai.latencyMs)
    if (ai.promptTokens !== undefined && ai.promptTokens > 0) {
      this.aiTokens.add((c.prompt ??= this.aiTokens.cell(c.tokenLabels('prompt_tokens'))), ai.promptTokens)
    }
    if (ai.completionTokens !== undefined && ai.completionTokens > 0) {
      this.aiTokens.add((c.completion ??= this.aiTokens.cell(c.tokenLabels('completion_tokens'))), ai.completionTokens)
    }
    if (ai.totalTokens !== undefined && ai.totalTokens > 0) {
      this.aiTokens.add((c.total ??= this.aiTokens.cell(c.tokenLabels('total_tokens'))), ai.totalTokens)
    }
  }

  /** AI-aware balancing: a cooldown started on this node. */
  recordAiCooldown(upstream: string, target: string, reason: string): void {
    this.aiCooldowns.inc({ upstream, target, reason })
  }

  recordAiTokens(upstream: string, target: string, tokens: number): void {
    if (tokens > 0) this.aiTargetTokens.inc({ upstream, target }, tokens)
  }

  recordAiFailover(upstream: string, reason: string): void {
    this.aiFailovers.inc({ upstream, reason })
  }

  recordAiExhausted(upstream: string): void {
    this.aiExhausted.inc({ upstream })
  }

  /** Replaces every kong_upstream_target_health series: deleted targets vanish. */
  setTargetHealth(rows: readonly TargetHealthRow[]): void {
    this.targetHealth.reset()
    for (const r of rows) {
      for (const state of TARGET_HEALTH_STATES) {
        this.targetHealth.set(
          { upstream: r.upstream, target: r.target, address: r.address, state, subsystem: SUBSYSTEM },
          r.state === state ? 1 : 0
        )
      }
    }
  }

  setConnections(c: ConnectionStats): void {
    const states = ['accepted', 'handled', 'total', 'active', 'reading', 'writing', 'waiting'] as const
    for (const state of states) this.connections.set({ node_id: this.nodeId, subsystem: SUBSYSTEM, state }, c[state])
    this.requests.set({ node_id: this.nodeId, subsystem: SUBSYSTEM }, c.total)
  }

  setDatastoreReachable(reachable: boolean): void {
    this.datastore.set(reachable ? 1 : 0)
  }

  setControlPlaneConnected(connected: boolean | undefined): void {
    if (connected === undefined) this.absent.add('kong_control_plane_connected')
    else {
      this.absent.delete('kong_control_plane_connected')
      this.cpConnected.set(connected ? 1 : 0)
    }
  }

  setConfig(config: { version: number; hash: string } | undefined): void {
    this.configHash.reset()
    if (!config) {
      this.absent.add('switchyard_config_version')
      return
    }
    this.absent.delete('switchyard_config_version')
    this.configVersion.set(config.version)
    this.configHash.set({ config_hash: config.hash }, 1)
  }

  /** Node identity, memory and timers: facts of this process, refreshed at each scrape. */
  private refreshProcessGauges(): void {
    this.nodeInfo.reset()
    this.nodeInfo.set({ node_id: this.nodeId, version: this.version }, 1)
    const mem = this.memory()
    // Kong reports Lua VM and shared-dict memory; ours is the V8 heap: in use, and its limit.
    this.vmBytes.set({ node_id: this.nodeId, pid: this.pid, kong_subsystem: SUBSYSTEM }, mem.heapUsed)
    const dict = { node_id: this.nodeId, shared_dict: 'v8_heap', kong_subsystem: SUBSYSTEM }
    this.dictBytes.set(dict, mem.heapUsed)
    this.dictTotal.set(dict, mem.heapLimit)
    this.timerGauge.set({ state: 'running' }, this.timers())
    this.timerGauge.set({ state: 'pending' }, 0)
  }

  /** Applies the scrape-time facts, then prints Kong's exposition. */
  async scrape(input: ScrapeInput): Promise<string> {
    this.refreshProcessGauges()
    if (input.connections) this.setConnections(input.connections)
    this.setDatastoreReachable(input.datastoreReachable ?? true)
    this.setControlPlaneConnected(input.controlPlaneConnected)
    this.setTargetHealth(input.gate.upstreamHealth ? (input.targets ?? []) : [])
    this.setConfig(input.config)
    return this.render(input.gate)
  }

  /** Prints the registry; shared families only while a prometheus instance is enabled. */
  async render(gate: Pick<ScrapeGate, 'enabled'>): Promise<string> {
    const metrics = await this.registry.getMetricsAsJSON()
    const families: Family[] = []
    for (const m of metrics as MetricObjectWithValues<MetricValue<string>>[]) {
      const name = m.name as FamilyName
      if (!gate.enabled && SHARED_FAMILIES.has(name)) continue
      if (this.absent.has(name)) continue
      if (name === 'switchyard_config_hash_info' && this.absent.has('switchyard_config_version')) continue
      const order: readonly string[] = LABELS[name] ?? []
      const series: Series[] = m.values.map((v) => {
        const labels = v.labels as Record<string, string | number>
        const pairs: [string, string][] = order.map((k) => [k, String(labels[k] ?? '')])
        if ('le' in labels) pairs.push(['le', String(labels['le'])])
        const full = (v as { metricName?: string }).metricName ?? m.name
        return { name: full, labels: pairs, value: v.value }
      })
      families.push({ name: m.name, help: m.help, type: m.type as unknown as MetricType, series })
    }
    return renderFamilies(families)
  }
}
