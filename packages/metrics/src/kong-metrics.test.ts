import assert from 'node:assert/strict'
import { test } from 'node:test'
import { KongMetrics, type RequestSample } from './kong-metrics.js'
import { ALL_SWITCHES_OFF, type PrometheusSwitches } from './switches.js'

const NODE = '6f1c7a8e-0000-4000-8000-000000000001'
const ALL_ON: PrometheusSwitches = {
  per_consumer: true,
  status_code_metrics: true,
  ai_metrics: true,
  latency_metrics: true,
  bandwidth_metrics: true,
  upstream_health_metrics: true,
}

function metrics(): KongMetrics {
  return new KongMetrics({ nodeId: NODE, pid: 42, memory: () => ({ heapUsed: 1000, heapLimit: 4000 }), timers: () => 3 })
}

function sample(over: Partial<RequestSample> = {}): RequestSample {
  return {
    service: 'mock-service',
    route: 'http-route',
    status: 400,
    source: 'service',
    kongLatencyMs: 3,
    upstreamLatencyMs: 60,
    requestLatencyMs: 63,
    requestBytes: 10,
    responseBytes: 123,
    ...over,
  }
}

const ENABLED = { gate: { enabled: true, upstreamHealth: true } }
const lines = (text: string) => text.split('\n').filter((l) => l !== '')
const families = (text: string) => new Set(lines(text).filter((l) => !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!))

test('request families print with Kong\'s labels in declaration order', async () => {
  const m = metrics()
  m.recordRequest(sample({ consumer: 'alice' }), { ...ALL_ON, per_consumer: false })
  const text = await m.scrape(ENABLED)
  const has = (line: string) => assert.ok(lines(text).includes(line), `missing ${line}\n${text}`)
  has('kong_http_requests_total{service="mock-service",route="http-route",code="400",source="service",workspace="default",consumer=""} 1')
  has('kong_bandwidth_bytes{service="mock-service",route="http-route",direction="egress",workspace="default",consumer=""} 123')
  has('kong_bandwidth_bytes{service="mock-service",route="http-route",direction="ingress",workspace="default",consumer=""} 10')
  has('kong_kong_latency_ms_bucket{service="mock-service",route="http-route",workspace="default",le="2"} 0')
  has('kong_kong_latency_ms_bucket{service="mock-service",route="http-route",workspace="default",le="5"} 1')
  has('kong_kong_latency_ms_bucket{service="mock-service",route="http-route",workspace="default",le="+Inf"} 1')
  has('kong_upstream_latency_ms_bucket{service="mock-service",route="http-route",workspace="default",le="50"} 0')
  has('kong_upstream_latency_ms_bucket{service="mock-service",route="http-route",workspace="default",le="80"} 1')
  has('kong_request_latency_ms_count{service="mock-service",route="http-route",workspace="default"} 1')
  has('kong_request_latency_ms_sum{service="mock-service",route="http-route",workspace="default"} 63')
  has('kong_nginx_metric_errors_total 0')
  has('# TYPE kong_kong_latency_ms histogram')
  has('# TYPE kong_http_requests_total counter')
})

test('buckets are Kong\'s', async () => {
  const m = metrics()
  m.recordRequest(sample(), ALL_ON)
  const text = await m.scrape(ENABLED)
  const les = (name: string) =>
    lines(text)
      .filter((l) => l.startsWith(`${name}_bucket{`))
      .map((l) => /le="([^"]+)"/.exec(l)![1])
  assert.deepEqual(les('kong_kong_latency_ms'), ['1', '2', '5', '7', '10', '15', '20', '30', '50', '75', '100', '200', '500', '750', '1000', '3000', '6000', '+Inf'])
  const upstream = ['25', '50', '80', '100', '250', '400', '700', '1000', '2000', '5000', '10000', '30000', '60000', '+Inf']
  assert.deepEqual(les('kong_upstream_latency_ms'), upstream)
  assert.deepEqual(les('kong_request_latency_ms'), upstream)
})

test('each switch gates its families; per_consumer fills the consumer label', async () => {
  const cases: { sw: Partial<PrometheusSwitches>; want: string[] }[] = [
    { sw: {}, want: [] },
    { sw: { status_code_metrics: true }, want: ['kong_http_requests_total'] },
    {
      sw: { latency_metrics: true },
      want: [
        'kong_kong_latency_ms_bucket',
        'kong_kong_latency_ms_count',
        'kong_kong_latency_ms_sum',
        'kong_request_latency_ms_bucket',
        'kong_request_latency_ms_count',
        'kong_request_latency_ms_sum',
        'kong_upstream_latency_ms_bucket',
        'kong_upstream_latency_ms_count',
        'kong_upstream_latency_ms_sum',
      ],
    },
    { sw: { bandwidth_metrics: true }, want: ['kong_bandwidth_bytes'] },
  ]
  for (const c of cases) {
    const m = metrics()
    m.recordRequest(sample(), { ...ALL_SWITCHES_OFF, ...c.sw })
    const found = [...families(await m.scrape({ gate: { enabled: true, upstreamHealth: false } }))].filter(
      (f) => f.startsWith('kong_http') || f.includes('latency') || f.startsWith('kong_bandwidth')
    )
    assert.deepEqual(found.sort(), c.want, JSON.stringify(c.sw))
  }
  const m = metrics()
  m.recordRequest(sample({ consumer: 'alice' }), { ...ALL_SWITCHES_OFF, status_code_metrics: true, per_consumer: true })
  assert.match(await m.scrape(ENABLED), /kong_http_requests_total\{[^}]*consumer="alice"\} 1/)
})

test('nothing proxied: upstream latency not observed; zero-byte sides not counted', async () => {
  const m = metrics()
  m.recordRequest(sample({ upstreamLatencyMs: undefined, requestBytes: 0, source: 'kong', status: 503 }), ALL_ON)
  const text = await m.scrape(ENABLED)
  assert.ok(!text.includes('kong_upstream_latency_ms_'))
  assert.ok(!text.includes('direction="ingress"'))
  assert.ok(text.includes('code="503",source="kong"'))
})

test('AI usage fills requests and tokens with Kong\'s seven labels', async () => {
  const m = metrics()
  const ai = { provider: 'openai', model: 'gpt-3.5-turbo', promptTokens: 25, completionTokens: 12, totalTokens: 37, latencyMs: 300 }
  m.recordRequest(sample({ ai }), ALL_ON)
  m.recordRequest(sample({ ai }), { ...ALL_ON, ai_metrics: false })
  const text = await m.scrape(ENABLED)
  const labels = 'ai_provider="openai",ai_model="gpt-3.5-turbo",cache_status="",vector_db="",embeddings_provider="",embeddings_model=""'
  const has = (line: string) => assert.ok(lines(text).includes(line), `missing ${line}\n${text}`)
  has(`kong_ai_llm_requests_total{${labels},workspace="default"} 1`)
  has(`kong_ai_llm_tokens_total{${labels},token_type="prompt_tokens",workspace="default"} 25`)
  has(`kong_ai_llm_tokens_total{${labels},token_type="completion_tokens",workspace="default"} 12`)
  has(`kong_ai_llm_tokens_total{${labels},token_type="total_tokens",workspace="default"} 37`)
  has(`kong_ai_llm_provider_latency_ms_bucket{${labels},workspace="default",le="500"} 1`)
  assert.ok(!text.includes('kong_ai_llm_cost_total{'), 'no cost without prices')
})

test('recording errors count in kong_nginx_metric_errors_total instead of throwing', async () => {
  const m = metrics()
  const ai = { provider: 'openai', model: 'm', promptTokens: '25' as unknown as number }
  assert.doesNotThrow(() => m.recordRequest(sample({ ai }), ALL_ON))
  assert.match(await m.scrape(ENABLED), /^kong_nginx_metric_errors_total 1$/m)
})

test('no enabled instance: only node gauges; they come back with the instance', async () => {
  const m = metrics()
  m.recordRequest(sample(), ALL_ON)
  const input = {
    connections: { accepted: 5, handled: 5, total: 9, active: 2, reading: 0, writing: 1, waiting: 1 },
    targets: [{ upstream: 'u', target: '127.0.0.1:1', address: '127.0.0.1:1', state: 'healthy' as const }],
    config: { version: 7, hash: 'abc' },
  }
  const off = await m.scrape({ ...input, gate: { enabled: false, upstreamHealth: false } })
  assert.deepEqual([...families(off)].sort(), [
    'kong_datastore_reachable',
    'kong_memory_lua_shared_dict_bytes',
    'kong_memory_lua_shared_dict_total_bytes',
    'kong_memory_workers_lua_vms_bytes',
    'kong_nginx_connections_total',
    'kong_nginx_requests_total',
    'kong_nginx_timers',
    'kong_node_info',
    'switchyard_config_hash_info',
    'switchyard_config_version',
  ])
  for (const state of ['accepted', 'active', 'handled', 'reading', 'total', 'waiting', 'writing']) {
    assert.match(off, new RegExp(`^kong_nginx_connections_total\\{node_id="${NODE}",subsystem="http",state="${state}"\\} \\d+$`, 'm'))
  }
  assert.match(off, /^kong_nginx_requests_total\{node_id="[^"]+",subsystem="http"\} 9$/m)
  assert.match(off, new RegExp(`^kong_node_info\\{node_id="${NODE}",version="3.9.3"\\} 1$`, 'm'))
  assert.match(off, /^kong_datastore_reachable 1$/m)
  assert.match(off, /^kong_memory_workers_lua_vms_bytes\{node_id="[^"]+",pid="42",kong_subsystem="http"\} 1000$/m)
  assert.match(off, /^kong_memory_lua_shared_dict_bytes\{node_id="[^"]+",shared_dict="v8_heap",kong_subsystem="http"\} 1000$/m)
  assert.match(off, /^kong_memory_lua_shared_dict_total_bytes\{node_id="[^"]+",shared_dict="v8_heap",kong_subsystem="http"\} 4000$/m)
  assert.match(off, /^kong_nginx_timers\{state="running"\} 3$/m)
  assert.match(off, /^switchyard_config_version 7$/m)
  assert.match(off, /^switchyard_config_hash_info\{config_hash="abc"\} 1$/m)
  const on = await m.scrape({ ...input, gate: { enabled: true, upstreamHealth: true } })
  assert.ok(families(on).has('kong_http_requests_total'), 'counts survive while disabled')
  assert.ok(families(on).has('kong_upstream_target_health'))
})

test('target health: four series per address, exactly one at 1; deleted targets vanish', async () => {
  const m = metrics()
  const rows = [
    { upstream: 'u', target: 'a:80', address: '10.0.0.1:80', state: 'unhealthy' as const },
    { upstream: 'u', target: 'some-random-dns:80', address: '', state: 'dns_error' as const },
  ]
  let text = await m.scrape({ gate: { enabled: true, upstreamHealth: true }, targets: rows })
  const health = (t: string) => lines(t).filter((l) => l.startsWith('kong_upstream_target_health{'))
  assert.equal(health(text).length, 8)
  assert.ok(health(text).includes('kong_upstream_target_health{upstream="u",target="some-random-dns:80",address="",state="dns_error",subsystem="http"} 1'))
  assert.ok(health(text).includes('kong_upstream_target_health{upstream="u",target="a:80",address="10.0.0.1:80",state="unhealthy",subsystem="http"} 1'))
  assert.equal(health(text).filter((l) => l.includes('target="a:80"') && l.endsWith(' 1')).length, 1)
  text = await m.scrape({ gate: { enabled: true, upstreamHealth: true }, targets: rows.slice(0, 1) })
  assert.equal(health(text).length, 4)
  text = await m.scrape({ gate: { enabled: true, upstreamHealth: false }, targets: rows })
  assert.equal(health(text).length, 0, 'off without upstream_health_metrics')
})

test('label values are escaped as Kong does; every body line is a comment or a metric', async () => {
  const m = metrics()
  m.recordRequest(sample({ route: 'we"ird\\name' }), ALL_ON)
  const text = await m.scrape({ ...ENABLED, controlPlaneConnected: true })
  assert.ok(text.includes('route="we\\"ird\\\\name"'))
  assert.match(text, /^kong_control_plane_connected 1$/m)
  for (const l of lines(text)) assert.match(l, /^(#|kong_|switchyard_)/)
})

test('series held between requests: counts add up per status and source, and a registry reset starts them afresh', async () => {
  const m = metrics()
  for (let i = 0; i < 3; i++) m.recordRequest(sample({ status: 200 }), ALL_ON)
  m.recordRequest(sample({ status: 200, source: 'kong' }), ALL_ON)
  m.recordRequest(sample({ status: 502, consumer: 'alice' }), ALL_ON)
  m.recordRequest(sample({ ai: { provider: 'openai', model: 'gpt', promptTokens: 2, totalTokens: 2 } }), ALL_ON)
  m.recordRequest(sample({ ai: { provider: 'openai', model: 'gpt', promptTokens: 3, totalTokens: 3 } }), ALL_ON)
  let text = await m.render({ enabled: true })
  const has = (line: string) => assert.ok(lines(text).includes(line), `${line}\n${text}`)
  has('kong_http_requests_total{service="mock-service",route="http-route",code="200",source="service",workspace="default",consumer=""} 3')
  has('kong_http_requests_total{service="mock-service",route="http-route",code="200",source="kong",workspace="default",consumer=""} 1')
  has('kong_http_requests_total{service="mock-service",route="http-route",code="502",source="service",workspace="default",consumer="alice"} 1')
  has('kong_bandwidth_bytes{service="mock-service",route="http-route",direction="ingress",workspace="default",consumer=""} 60')
  has('kong_kong_latency_ms_count{service="mock-service",route="http-route",workspace="default"} 7')
  has('kong_ai_llm_tokens_total{ai_provider="openai",ai_model="gpt",cache_status="",vector_db="",embeddings_provider="",embeddings_model="",token_type="prompt_tokens",workspace="default"} 5')
  await m.registry.resetMetrics()
  m.recordRequest(sample({ status: 200 }), ALL_ON)
  text = await m.render({ enabled: true })
  has('kong_http_requests_total{service="mock-service",route="http-route",code="200",source="service",workspace="default",consumer=""} 1')
  has('kong_kong_latency_ms_count{service="mock-service",route="http-route",workspace="default"} 1')
  assert.ok(!text.includes('code="502"'), text)
})
