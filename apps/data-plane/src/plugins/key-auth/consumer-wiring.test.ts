// What the consumer key-auth identifies feeds besides plugins: the consistent-hashing input
// of an upstream with hash_on=consumer, and the prometheus `consumer` label with per_consumer.

import {
  consumers as consumerDef,
  keyauthCredentials,
  plugins as pluginDef,
  type Entity,
  type EntityDefinition,
} from '@switchyard/entities'
import { createLogger } from '@switchyard/log'
import { KongMetrics } from '@switchyard/metrics'
import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { MetricsRecorder } from '../../metrics-recorder.js'
import { PluginResolver } from '../../plugin-resolver.js'
import { fx, snapshotOf, startTestProxy, makeEntity, type TestProxy } from '../../test-fixtures.js'
import { createPluginAccess, type PluginAccess } from '../access.js'

// Fixed ids: the hash of each consumer id, and so each consumer's target, is deterministic.
const CONSUMER_IDS = Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`)

let ids = 0
const make = (def: EntityDefinition, input: Entity): Entity =>
  makeEntity(def, input, { newId: () => `10000000-0000-4000-8000-${String(++ids).padStart(12, '0')}` })

let a: UpstreamServer
let b: UpstreamServer
let proxy: TestProxy
let access: PluginAccess
const metrics = new KongMetrics({ nodeId: 'n' })

before(async () => {
  a = await startUpstream('a')
  b = await startUpstream('b')
  const upstream = fx.upstream({ name: 'hashed.test', hash_on: 'consumer' })
  const targets = [a, b].map((s) => fx.target(upstream, { target: `${s.host}:${s.port}` }))
  const service = fx.service({ name: 'ai', host: 'hashed.test', port: 80 })
  const route = fx.route(service, { name: 'chat', paths: ['/chat'] })
  const consumers = CONSUMER_IDS.map((id, i) => make(consumerDef, { id, username: `team-${i}` }))
  const keys = consumers.map((c, i) => make(keyauthCredentials, { key: `key-${i}`, consumer: { id: c['id'] } }))
  const snapshot = snapshotOf({
    upstreams: [upstream],
    targets,
    services: [service],
    routes: [route],
    consumers,
    keyauth_credentials: keys,
    plugins: [
      make(pluginDef, { name: 'key-auth', route: { id: route['id'] } }),
      make(pluginDef, { name: 'prometheus', config: { per_consumer: true, status_code_metrics: true } }),
    ],
  })
  let recorder: MetricsRecorder | undefined
  proxy = await startTestProxy(snapshot, {
    access: (ctx) => access.access(ctx),
    onRequestEnd: (i) => recorder?.onRequestEnd(i),
  })
  access = createPluginAccess({ state: proxy.state, log: createLogger({ level: 'silent' }) })
  recorder = new MetricsRecorder(metrics, new PluginResolver(proxy.state))
})

after(async () => {
  await proxy?.close()
  await access?.close()
  await a?.close()
  await b?.close()
})

test('hash_on=consumer: each consumer sticks to one target, and consumers spread over both', async () => {
  const placed = new Map<number, Set<string>>()
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < CONSUMER_IDS.length; i++) {
      const beforeA = a.requests.length
      const res = await fetch(`${proxy.url}/chat`, { headers: { apikey: `key-${i}` } })
      await res.text()
      assert.equal(res.status, 200)
      const where = a.requests.length > beforeA ? 'a' : 'b'
      placed.set(i, (placed.get(i) ?? new Set()).add(where))
    }
  }
  for (const [i, where] of placed) assert.equal(where.size, 1, `consumer ${i} moved between targets`)
  const used = new Set([...placed.values()].flatMap((s) => [...s]))
  assert.deepEqual([...used].sort(), ['a', 'b'], 'the consumer id is what is hashed')
})

test('prometheus per_consumer: the consumer label is the username; 401s carry none', async () => {
  await (await fetch(`${proxy.url}/chat`, { headers: { apikey: 'key-1' } })).text()
  await (await fetch(`${proxy.url}/chat`)).text()
  const text = await metrics.scrape({ gate: { enabled: true, upstreamHealth: false } })
  assert.match(text, /kong_http_requests_total\{service="ai",route="chat",code="200",source="service",workspace="default",consumer="team-1"\} 4/)
  assert.match(text, /kong_http_requests_total\{service="ai",route="chat",code="401",source="kong",workspace="default",consumer=""\} 1/)
})
