// The rate-limiting access phase with an injected clock: local counting and windows, the
// block response, hide_client_headers, scopes, the cluster fallback, store failures under
// both fault_tolerant settings; then the redis policy against the real local Redis
// (127.0.0.1:6379, unique route ids per test, fails loudly when unreachable) and against a
// private redis-server that is killed and restarted.

import { RedisRateCounters } from '@switchyard/cluster'
import { createLogger } from '@switchyard/log'
import { RedisServerProcess, redisCommand } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { PluginInstance } from '../../plugin-resolver.js'
import type { AccessContext, AccessResult } from '../../proxy-server.js'
import { RequestEdits } from '../../request-edits.js'
import type { RateLimitingConfig } from './config.js'
import { RateLimitingPlugin, type CounterStore } from './handler.js'
import { counterKey } from './keys.js'
import { LocalCounters } from './local-counters.js'

const MINUTE_START = Date.parse('2024-07-01T12:01:00.000Z')

function config(over: Partial<RateLimitingConfig> = {}): RateLimitingConfig {
  return {
    second: null,
    minute: null,
    hour: null,
    day: null,
    month: null,
    year: null,
    limit_by: 'consumer',
    header_name: null,
    path: null,
    policy: 'local',
    fault_tolerant: true,
    hide_client_headers: false,
    error_code: 429,
    error_message: 'API rate limit exceeded',
    sync_rate: -1,
    redis: { host: null, port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null },
    ...over,
  }
}

function instance(c: RateLimitingConfig, scope: { route?: string | null; service?: string | null } = {}): PluginInstance {
  return { id: randomUUID(), name: 'rate-limiting', config: c as unknown as Record<string, unknown>, route: scope.route ?? null, service: scope.service ?? null, consumer: null }
}

function ctx(opts: { routeId?: string; serviceId?: string; ip?: string; headers?: Record<string, string>; path?: string } = {}): AccessContext {
  const headers = opts.headers ?? {}
  const req = {
    headers,
    headersDistinct: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
  } as unknown as http.IncomingMessage
  return {
    req,
    match: {
      route: { id: opts.routeId ?? 'route-1' },
      service: { id: opts.serviceId ?? 'service-1' },
      path: opts.path ?? '/v1/chat',
    } as unknown as AccessContext['match'],
    clientIp: opts.ip ?? '127.0.0.1',
    upstream: undefined,
    query: '',
    edits: new RequestEdits(),
    body: async () => Buffer.alloc(0),
  }
}

interface Harness {
  plugin: RateLimitingPlugin
  clock: { now: number }
  logs: Record<string, unknown>[]
  local: LocalCounters
}

function harness(redis: CounterStore = failingStore(), start = MINUTE_START): Harness {
  const clock = { now: start }
  const logs: Record<string, unknown>[] = []
  const local = new LocalCounters()
  const plugin = new RateLimitingPlugin({
    log: createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) }),
    now: () => clock.now,
    local,
    redis,
    requestId: () => 'req-id-1',
  })
  return { plugin, clock, logs, local }
}

function failingStore(): CounterStore & { calls: number } {
  const store = {
    calls: 0,
    increment: async () => {
      store.calls++
      throw new Error('redis 127.0.0.1:1/0 unavailable: connect ECONNREFUSED')
    },
  }
  return store
}

const status = (r: AccessResult | undefined) => r?.response?.status ?? 200
const headersOf = (r: AccessResult | undefined) => r?.response?.headers ?? r?.headers ?? {}
const RL_HEADER = /^(x-ratelimit-|ratelimit-|retry-after$)/i
const rlHeaders = (r: AccessResult | undefined) => Object.keys(headersOf(r)).filter((h) => RL_HEADER.test(h))

describe('policy local', () => {
  test('minute=6: six pass with remaining 5..0, the seventh is blocked with Kong headers and body', async () => {
    const h = harness()
    const inst = instance(config({ minute: 6 }))
    const results: (AccessResult | undefined)[] = []
    for (let i = 0; i < 7; i++) {
      h.clock.now = MINUTE_START + 1000 * i
      results.push(await h.plugin.access(inst, ctx()))
    }
    assert.deepEqual(results.map(status), [200, 200, 200, 200, 200, 200, 429])
    assert.deepEqual(results.map((r) => headersOf(r)['RateLimit-Remaining']), ['5', '4', '3', '2', '1', '0', '0'])
    assert.deepEqual(results.map((r) => headersOf(r)['RateLimit-Reset']), ['60', '59', '58', '57', '56', '55', '54'])
    const blocked = results[6]!.response!
    assert.deepEqual(blocked.body, { message: 'API rate limit exceeded', request_id: 'req-id-1' })
    assert.deepEqual(blocked.headers, {
      'X-RateLimit-Limit-Minute': '6',
      'X-RateLimit-Remaining-Minute': '0',
      'RateLimit-Limit': '6',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '54',
      'Retry-After': '54',
      'X-Kong-Request-Id': 'req-id-1',
    })
    assert.equal(results[0]!.response, undefined, 'a passing request only adds headers')
    assert.equal(results[0]!.headers!['X-RateLimit-Limit-Minute'], '6')
    // Blocked requests are not counted: the next one in the window is blocked the same way.
    assert.equal(status(await h.plugin.access(inst, ctx())), 429)
    const key = counterKey(inst, '127.0.0.1', MINUTE_START, 'minute')
    assert.equal(h.local.get(key, h.clock.now), 6)
  })

  test('the next window starts over (UTC-aligned)', async () => {
    const h = harness()
    const inst = instance(config({ minute: 1 }))
    h.clock.now = MINUTE_START + 59_999
    assert.equal(status(await h.plugin.access(inst, ctx())), 200)
    assert.equal(status(await h.plugin.access(inst, ctx())), 429)
    h.clock.now = MINUTE_START + 60_000
    const r = await h.plugin.access(inst, ctx())
    assert.equal(status(r), 200)
    assert.equal(headersOf(r)['RateLimit-Reset'], '60')
  })

  test('identifiers are counted apart; limit_by header falls back to the ip', async () => {
    const h = harness()
    const inst = instance(config({ minute: 1, limit_by: 'header', header_name: 'X-Tenant' }))
    assert.equal(status(await h.plugin.access(inst, ctx({ headers: { 'x-tenant': 'a' } }))), 200)
    assert.equal(status(await h.plugin.access(inst, ctx({ headers: { 'x-tenant': 'b' } }))), 200)
    assert.equal(status(await h.plugin.access(inst, ctx({ headers: { 'x-tenant': 'a' } }))), 429)
    assert.equal(status(await h.plugin.access(inst, ctx())), 200, 'no header: counted by ip')
    assert.equal(status(await h.plugin.access(inst, ctx({ ip: '10.0.0.2' }))), 200)
    assert.equal(status(await h.plugin.access(inst, ctx())), 429)
  })

  test('a global instance shares its counter across routes; scoped instances count apart', async () => {
    const h = harness()
    const global = instance(config({ minute: 1 }))
    assert.equal(status(await h.plugin.access(global, ctx({ routeId: 'r1' }))), 200)
    assert.equal(status(await h.plugin.access(global, ctx({ routeId: 'r2' }))), 429)
    const onR1 = instance(config({ minute: 1 }), { route: 'r1' })
    const onR2 = instance(config({ minute: 1 }), { route: 'r2' })
    assert.equal(status(await h.plugin.access(onR1, ctx({ routeId: 'r1' }))), 200)
    assert.equal(status(await h.plugin.access(onR2, ctx({ routeId: 'r2' }))), 200)
  })

  test('several periods: the tightest one blocks and is reported', async () => {
    const h = harness()
    const inst = instance(config({ second: 2, hour: 3 }))
    h.clock.now = MINUTE_START + 100
    assert.equal(status(await h.plugin.access(inst, ctx())), 200)
    const second = await h.plugin.access(inst, ctx())
    assert.equal(headersOf(second)['RateLimit-Limit'], '2', 'second: 0 left, hour: 1 left')
    const third = await h.plugin.access(inst, ctx())
    assert.equal(status(third), 429)
    assert.equal(headersOf(third)['Retry-After'], '1')
    assert.equal(headersOf(third)['X-RateLimit-Remaining-Hour'], '1', 'the hour is not charged for the blocked request')
    h.clock.now = MINUTE_START + 1100
    const fourth = await h.plugin.access(inst, ctx())
    assert.equal(status(fourth), 200)
    assert.equal(headersOf(fourth)['RateLimit-Limit'], '3')
    assert.equal(headersOf(fourth)['RateLimit-Remaining'], '0')
    const fifth = await h.plugin.access(inst, ctx())
    assert.equal(status(fifth), 429)
    assert.equal(headersOf(fifth)['Retry-After'], String(3600 - 61), 'blocked by the hour')
  })

  test('error_code and error_message', async () => {
    const h = harness()
    const inst = instance(config({ minute: 1, error_code: 404, error_message: 'Fake Not Found' }))
    await h.plugin.access(inst, ctx())
    const r = await h.plugin.access(inst, ctx())
    assert.equal(status(r), 404)
    assert.deepEqual(r!.response!.body, { message: 'Fake Not Found', request_id: 'req-id-1' })
  })

  test('hide_client_headers: no rate-limit headers, not even Retry-After on the block', async () => {
    const h = harness()
    const inst = instance(config({ minute: 1, hide_client_headers: true }))
    assert.equal(await h.plugin.access(inst, ctx()), undefined)
    const r = await h.plugin.access(inst, ctx())
    assert.equal(status(r), 429)
    assert.deepEqual(rlHeaders(r), [])
  })

  test('policy cluster counts locally and warns once per instance', async () => {
    const h = harness()
    const inst = instance(config({ minute: 2, policy: 'cluster' }))
    assert.equal(status(await h.plugin.access(inst, ctx())), 200)
    assert.equal(status(await h.plugin.access(inst, ctx())), 200)
    assert.equal(status(await h.plugin.access(inst, ctx())), 429)
    const warnings = h.logs.filter((l) => String(l['msg']).includes("policy 'cluster'"))
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0]!['plugin'], inst.id)
  })

  test('no positive limit configured: the plugin does nothing', async () => {
    const h = harness()
    assert.equal(await h.plugin.access(instance(config()), ctx()), undefined)
  })
})

describe('counter store failures', () => {
  test('fault_tolerant=true: the request passes without any rate-limit header; logged once per 10 s', async () => {
    const store = failingStore()
    const h = harness(store)
    const inst = instance(config({ minute: 1, policy: 'redis', redis: { ...config().redis, host: '127.0.0.1', port: 1 } }))
    for (let i = 0; i < 5; i++) assert.equal(await h.plugin.access(inst, ctx()), undefined)
    assert.equal(store.calls, 5)
    const errors = h.logs.filter((l) => l['msg'] === 'rate-limiting: failed to get usage')
    assert.equal(errors.length, 1)
    assert.equal(errors[0]!['fault_tolerant'], true)
  })

  test('fault_tolerant=false: 500 "An unexpected error occurred" without rate-limit headers', async () => {
    const h = harness()
    const inst = instance(config({ minute: 1, policy: 'redis', fault_tolerant: false, redis: { ...config().redis, host: '127.0.0.1', port: 1 } }))
    const r = await h.plugin.access(inst, ctx())
    assert.equal(status(r), 500)
    assert.deepEqual(r!.response!.body, { message: 'An unexpected error occurred', request_id: 'req-id-1' })
    assert.deepEqual(rlHeaders(r), [])
  })

  test('policy redis without a host counts as a store failure', async () => {
    const h = harness()
    assert.equal(await h.plugin.access(instance(config({ minute: 1, policy: 'redis' })), ctx()), undefined)
    const r = await h.plugin.access(instance(config({ minute: 1, policy: 'redis', fault_tolerant: false })), ctx())
    assert.equal(status(r), 500)
  })
})

describe('policy redis on the local Redis', () => {
  const store = new RedisRateCounters()
  const redisConf = (over: Partial<RateLimitingConfig>) =>
    config({ policy: 'redis', redis: { ...config().redis, host: '127.0.0.1', port: 6379 }, ...over })

  before(async () => {
    try {
      assert.equal(await redisCommand(6379, ['PING']), 'PONG')
    } catch (err) {
      throw new Error(`Redis is required at 127.0.0.1:6379 (run scripts/services.sh): ${(err as Error).message}`)
    }
  })
  after(() => store.close())

  test('exactly N pass; blocked requests are counted; the key expires when its window ends', async () => {
    const h = harness(store, Date.now())
    const routeId = randomUUID()
    const inst = instance(redisConf({ minute: 3 }), { route: routeId })
    // Windows follow the injected clock: pin it to the start of a minute.
    h.clock.now = Math.floor(Date.now() / 60_000) * 60_000
    const results = []
    for (let i = 0; i < 5; i++) results.push(await h.plugin.access(inst, ctx({ routeId })))
    assert.deepEqual(results.map(status), [200, 200, 200, 429, 429])
    assert.deepEqual(results.map((r) => headersOf(r)['RateLimit-Remaining']), ['2', '1', '0', '0', '0'])
    assert.equal(headersOf(results[3])['Retry-After'], '60')
    const key = counterKey(inst, '127.0.0.1', h.clock.now, 'minute')
    assert.match(key, new RegExp(`^ratelimit:${routeId}:0{8}-0{4}-0{4}-0{4}-0{12}:127\\.0\\.0\\.1:\\d+000:minute$`))
    assert.equal(await redisCommand(6379, ['GET', key]), '5', 'blocked requests are counted too (as Kong)')
    const pttl = Number(await redisCommand(6379, ['PTTL', key]))
    assert.ok(pttl > 55_000 && pttl <= 60_000, `pttl ${pttl}: the window's remaining time`)
    await redisCommand(6379, ['DEL', key])
  })

  test('two nodes with their own connections share one counter: exactly N pass under concurrency', async () => {
    const other = new RedisRateCounters()
    try {
      const a = harness(store, Date.now())
      const b = harness(other, Date.now())
      const routeId = randomUUID()
      const conf = redisConf({ hour: 10 })
      const inst = instance(conf, { route: routeId })
      const all = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).plugin.access(inst, ctx({ routeId })))
      )
      assert.equal(all.filter((r) => status(r) === 200).length, 10)
      assert.equal(all.filter((r) => status(r) === 429).length, 20)
      const remaining = all.filter((r) => status(r) === 200).map((r) => Number(headersOf(r)['RateLimit-Remaining'])).sort((x, y) => x - y)
      assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    } finally {
      await other.close()
    }
  })
})

describe('policy redis on a private redis-server that dies', () => {
  let server: RedisServerProcess
  const store = new RedisRateCounters()
  before(async () => {
    server = await RedisServerProcess.start()
  })
  after(async () => {
    await store.close()
    await server.kill()
  })

  test('counts while up; fault-tolerant pass-through and 500 while down; counts again once it is back', { timeout: 20_000 }, async () => {
    const h = harness(store, Date.now())
    h.clock.now = Date.now()
    const conf = (over: Partial<RateLimitingConfig>) =>
      config({ minute: 100, policy: 'redis', redis: { ...config().redis, host: '127.0.0.1', port: server.port, timeout: 500 }, ...over })
    const tolerant = instance(conf({}), { route: 'r-tolerant' })
    const strict = instance(conf({ fault_tolerant: false }), { route: 'r-strict' })
    assert.equal(headersOf(await h.plugin.access(tolerant, ctx()))['RateLimit-Remaining'], '99')
    assert.equal(headersOf(await h.plugin.access(strict, ctx()))['RateLimit-Remaining'], '99')

    await server.kill()
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      assert.equal(await h.plugin.access(tolerant, ctx()), undefined)
      const r = await h.plugin.access(strict, ctx())
      assert.equal(status(r), 500)
      assert.deepEqual(rlHeaders(r), [])
      assert.ok(performance.now() - t0 < 600, 'answers within the configured timeout')
    }

    server = await server.restart()
    // A fresh server has no counters: the count starts over once the connection is back.
    const back = await waitForValue(async () => headersOf(await h.plugin.access(tolerant, ctx()))['RateLimit-Remaining'], 5000)
    assert.equal(back, '99')
  })
})

async function waitForValue<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (performance.now() > deadline) throw new Error(`no value within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
