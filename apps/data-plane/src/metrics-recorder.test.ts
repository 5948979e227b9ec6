import { KongMetrics } from '@switchyard/metrics'
import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { MetricsRecorder } from './metrics-recorder.js'
import { PluginResolver } from './plugin-resolver.js'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

const GATE = { gate: { enabled: true, upstreamHealth: false } }

function prometheus(config: Record<string, boolean>, scope: { route?: string; service?: string } = {}, enabled = true) {
  return {
    id: randomUUID(),
    name: 'prometheus',
    enabled,
    config,
    route: scope.route ? { id: scope.route } : null,
    service: scope.service ? { id: scope.service } : null,
    consumer: null,
  }
}

let upstream: UpstreamServer
let proxy: TestProxy
let metrics: KongMetrics

before(async () => {
  upstream = await startUpstream('u', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ model: 'm1', usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }))
  })
  const named = fx.service({ name: 'named', host: upstream.host, port: upstream.port })
  const unnamed = fx.service({ host: upstream.host, port: upstream.port })
  const plainRoute = fx.route(named, { name: 'plain', paths: ['/plain'] })
  const bareRoute = fx.route(unnamed, { paths: ['/bare'] })
  const scopedRoute = fx.route(named, { name: 'scoped', paths: ['/scoped'] })
  const offRoute = fx.route(named, { name: 'off', paths: ['/off'] })
  const all = { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, ai_metrics: true }
  metrics = new KongMetrics({ nodeId: 'n' })
  const snapshot = snapshotOf({
    services: [named, unnamed],
    routes: [plainRoute, bareRoute, scopedRoute, offRoute],
    plugins: [
      prometheus(all),
      prometheus({ status_code_metrics: true }, { route: String(scopedRoute['id']) }),
      // A disabled instance does not take the route away from the global one.
      prometheus({}, { route: String(offRoute['id']) }, false),
    ],
  })
  // The recorder needs the proxy's state; wire it after the proxy exists.
  let recorder: MetricsRecorder | undefined
  proxy = await startTestProxy(snapshot, {
    onRequestEnd: (i) => recorder?.onRequestEnd(i),
    responseTap: (c) => recorder?.responseTap(c),
  })
  recorder = new MetricsRecorder(metrics, new PluginResolver(proxy.state))
  for (const path of ['/plain', '/plain', '/bare', '/scoped', '/off', '/nowhere']) await (await fetch(`${proxy.url}${path}`)).text()
})

after(async () => {
  await proxy?.close()
  await upstream?.close()
})

test('labels: service name else host, route name else id; unmatched requests not counted', async () => {
  const text = await metrics.scrape(GATE)
  assert.match(text, /kong_http_requests_total\{service="named",route="plain",code="200",source="service",workspace="default",consumer=""\} 2/)
  assert.match(text, new RegExp(`kong_http_requests_total\\{service="127.0.0.1",route="[0-9a-f-]{36}",code="200"`))
  assert.ok(!text.includes('code="404"'))
})

test('the most specific enabled instance decides; disabled instances are skipped', async () => {
  const text = await metrics.scrape(GATE)
  assert.match(text, /kong_http_requests_total\{service="named",route="scoped",code="200"[^}]*\} 1/)
  assert.ok(!/kong_kong_latency_ms_count\{[^}]*route="scoped"/.test(text), 'route instance has no latency_metrics')
  assert.match(text, /kong_kong_latency_ms_count\{service="named",route="off",workspace="default"\} 1/)
})

test('ai_metrics: usage of JSON responses, counted once per tapped request', async () => {
  const text = await metrics.scrape(GATE)
  // plain ×2, bare, off: four requests under the global instance (ai_metrics on); scoped has it off.
  assert.match(text, /kong_ai_llm_requests_total\{ai_provider="openai",ai_model="m1",[^}]*\} 4/)
  assert.match(text, /kong_ai_llm_tokens_total\{[^}]*token_type="total_tokens",workspace="default"\} 20/)
})
