// The active prober with real servers on port 0 and real time (short intervals): it probes only
// while it holds the upstream's lease, never weight-0 targets, healthy targets every
// healthy.interval and unhealthy ones every unhealthy.interval, reports through the store, and a
// second prober takes over within two intervals once the first stops renewing — on the memory
// lease and on the Redis lease.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { ActiveProber, type ProbedUpstream } from './active-prober.js'
import type { HealthchecksJson } from './config.js'
import type { HealthStatus } from './counters.js'
import { MemoryLease, RedisLease, type Lease } from './lease.js'
import { MemoryHealthStore } from './memory-store.js'

const REDIS_URL = 'redis://127.0.0.1:6379'
const TICK_MS = 10

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A server whose every path answers `status()`; counts probes per path. */
async function target(status: () => number = () => 200) {
  const hits: string[] = []
  const hosts: string[] = []
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    hosts.push(req.headers.host ?? '')
    res.writeHead(status(), { connection: 'close' })
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    hits,
    hosts,
    port,
    entry: (weight = 100) => ({ target: `127.0.0.1:${port}`, host: '127.0.0.1', port, weight }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
type Target = Awaited<ReturnType<typeof target>>

function checks(healthy: number, unhealthy: number, extra: Partial<NonNullable<HealthchecksJson['active']>> = {}): HealthchecksJson {
  return {
    active: {
      http_path: '/health',
      timeout: 1,
      healthy: { interval: healthy, successes: 1 },
      unhealthy: { interval: unhealthy, http_failures: 1 },
      ...extra,
    },
  }
}

/** A lease that can be made to stop renewing, like a node that froze or died. */
class FreezableLease implements Lease {
  frozen = false
  constructor(private readonly inner: Lease) {}
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.frozen ? Promise.resolve(false) : this.inner.acquire(name, holder, ttlMs)
  }
  release(name: string, holder: string): Promise<void> {
    return this.frozen ? Promise.resolve() : this.inner.release(name, holder)
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

interface Harness {
  store: MemoryHealthStore
  statuses: Map<string, HealthStatus>
  probers: ActiveProber[]
  prober(nodeId: string, lease: Lease, upstreams: () => ProbedUpstream[]): ActiveProber
  stop(): Promise<void>
}

function harness(): Harness {
  const store = new MemoryHealthStore()
  const statuses = new Map<string, HealthStatus>()
  store.subscribe((c) => statuses.set(`${c.upstreamId}|${c.target}`, c.status))
  const probers: ActiveProber[] = []
  return {
    store,
    statuses,
    probers,
    prober(nodeId, lease, upstreams) {
      const p = new ActiveProber({
        nodeId,
        store,
        lease,
        upstreams,
        statusOf: (u, t) => statuses.get(`${u}|${t}`) ?? 'healthy',
        tickMs: TICK_MS,
      })
      probers.push(p)
      return p
    },
    async stop() {
      for (const p of probers) await p.stop()
      await store.close()
    },
  }
}

describe('active prober', () => {
  const servers: Target[] = []
  const open = async (status?: () => number) => {
    const t = await target(status)
    servers.push(t)
    return t
  }
  after(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })

  test('probes every interval at http_path and never a weight-0 target', async () => {
    const h = harness()
    const a = await open()
    const zero = await open()
    const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0.1, 0.1), hostHeader: null, targets: [a.entry(), zero.entry(0)] }
    try {
      const p = h.prober('node-a', new MemoryLease(), () => [u])
      p.start()
      await sleep(1050)
      await p.stop()
      // ~10 probes in 1 s at 100 ms; the window allows for timer jitter, not for 2×.
      assert.ok(a.hits.length >= 7 && a.hits.length <= 12, `probes in 1 s at 0.1 s interval: ${a.hits.length}`)
      assert.ok(a.hits.every((p) => p === '/health'), a.hits.join(','))
      assert.equal(zero.hits.length, 0, 'weight-0 targets are never probed')
    } finally {
      await h.stop()
    }
  })

  test('upstreams without an active interval are not probed', async () => {
    const h = harness()
    const a = await open()
    const passiveOnly: HealthchecksJson = { passive: { unhealthy: { http_failures: 3 } } }
    const u: ProbedUpstream = { id: randomUUID(), healthchecks: passiveOnly, hostHeader: null, targets: [a.entry()] }
    try {
      const p = h.prober('node-a', new MemoryLease(), () => [u])
      p.start()
      await sleep(300)
      assert.equal(a.hits.length, 0)
      assert.equal(p.leases.size, 0, 'no lease is taken for an upstream without active checks')
    } finally {
      await h.stop()
    }
  })

  test('probes only while holding the lease', async () => {
    const h = harness()
    const a = await open()
    const lease = new MemoryLease()
    const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0.05, 0.05), hostHeader: null, targets: [a.entry()] }
    try {
      // Someone else holds the upstream's lease for the next 400 ms.
      assert.equal(await lease.acquire(`probe:${u.id}`, 'other-node', 400), true)
      const p = h.prober('node-a', lease, () => [u])
      p.start()
      await sleep(250)
      assert.equal(a.hits.length, 0, 'no probe without the lease')
      assert.equal(p.leases.has(u.id), false)
      // The other holder lets it lapse: this prober takes it and starts probing.
      await sleep(400)
      assert.equal(p.leases.has(u.id), true)
      assert.ok(a.hits.length >= 2, `probes once the lease is held: ${a.hits.length}`)
    } finally {
      await h.stop()
    }
  })

  test('healthy and unhealthy targets are probed on their own intervals', async () => {
    const h = harness()
    const good = await open(() => 200)
    const bad = await open(() => 500)
    // Healthy every 100 ms, unhealthy every 400 ms. The bad target turns unhealthy on its first
    // failed probe (http_failures=1) and is then probed at the slower pace.
    const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0.1, 0.4), hostHeader: null, targets: [good.entry(), bad.entry()] }
    try {
      const p = h.prober('node-a', new MemoryLease(), () => [u])
      p.start()
      await sleep(1250)
      await p.stop()
      assert.equal(h.statuses.get(`${u.id}|${bad.entry().target}`), 'unhealthy', 'the failing probe went through the store')
      assert.ok(good.hits.length >= 9 && good.hits.length <= 14, `healthy target probes: ${good.hits.length}`)
      assert.ok(bad.hits.length >= 3 && bad.hits.length <= 5, `unhealthy target probes: ${bad.hits.length} (1 + every 400 ms)`)
    } finally {
      await h.stop()
    }
  })

  test('interval 0 on one side: only the other kind is probed ("passive to detect, active to recover")', async () => {
    const h = harness()
    const good = await open()
    const sick = await open()
    const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0, 0.1), hostHeader: null, targets: [good.entry(), sick.entry()] }
    try {
      await h.store.set(u.id, sick.entry().target, 'unhealthy')
      const p = h.prober('node-a', new MemoryLease(), () => [u])
      p.start()
      await sleep(500)
      await p.stop()
      assert.equal(good.hits.length, 0, 'healthy targets are not probed with healthy.interval=0')
      assert.ok(sick.hits.length >= 1, 'the unhealthy target is probed')
      // One success (successes=1) brought it back, and healthy targets are then left alone.
      assert.equal(h.statuses.get(`${u.id}|${sick.entry().target}`), 'healthy')
      assert.equal(sick.hits.length, 1, 'after recovery it is no longer probed')
    } finally {
      await h.stop()
    }
  })

  test('the Host header is the upstream host_header, else the target', async () => {
    const h = harness()
    const a = await open()
    const b = await open()
    const withHeader: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0.1, 0.1), hostHeader: 'models.internal', targets: [a.entry()] }
    const without: ProbedUpstream = { id: randomUUID(), healthchecks: checks(0.1, 0.1), hostHeader: null, targets: [b.entry()] }
    try {
      const p = h.prober('node-a', new MemoryLease(), () => [withHeader, without])
      p.start()
      await sleep(250)
      await p.stop()
      assert.ok(a.hosts.length > 0 && b.hosts.length > 0)
      assert.deepEqual(new Set(a.hosts), new Set(['models.internal']))
      assert.deepEqual(new Set(b.hosts), new Set([`127.0.0.1:${b.port}`]))
    } finally {
      await h.stop()
    }
  })
})

function takeoverSuite(name: string, openLease: () => Lease, closeLeases: () => Promise<void>) {
  describe(`active prober takeover: ${name} lease`, () => {
    let server: Target
    before(async () => {
      server = await target()
    })
    after(async () => {
      await server.close()
      await closeLeases()
    })

    test('one prober at a time; the second takes over within two intervals when the first stops renewing', async () => {
      const h = harness()
      const INTERVAL_S = 0.2
      const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(INTERVAL_S, INTERVAL_S), hostHeader: null, targets: [server.entry()] }
      const leaseA = new FreezableLease(openLease())
      const leaseB = openLease()
      try {
        const a = h.prober('node-a', leaseA, () => [u])
        a.start()
        const deadline = performance.now() + 1000
        while (!a.leases.has(u.id) && performance.now() < deadline) await sleep(5)
        assert.equal(a.leases.has(u.id), true, 'the first prober holds the lease')
        const b = h.prober('node-b', leaseB, () => [u])
        b.start()

        server.hits.length = 0
        await sleep(1000)
        assert.equal(b.leases.has(u.id), false, 'the second prober waits')
        // Both tick every 10 ms; one holder means one probe per 200 ms, not two.
        assert.ok(server.hits.length >= 3 && server.hits.length <= 6, `probes in 1 s with two probers: ${server.hits.length}`)

        leaseA.frozen = true
        const frozenAt = performance.now()
        while (!b.leases.has(u.id) && performance.now() - frozenAt < 2000) await sleep(5)
        const takeoverMs = performance.now() - frozenAt
        assert.equal(b.leases.has(u.id), true, 'the second prober took the lease')
        assert.ok(takeoverMs <= 2 * INTERVAL_S * 1000, `took over after ${Math.round(takeoverMs)} ms (limit ${2 * INTERVAL_S * 1000})`)
        const hitsAtTakeover = server.hits.length
        await sleep(500)
        assert.ok(server.hits.length - hitsAtTakeover >= 2, 'the new holder probes')
      } finally {
        await h.stop()
        await leaseA.close()
      }
    })

    test('a prober that stops releases the lease, so the other takes over at its next tick', async () => {
      const h = harness()
      const u: ProbedUpstream = { id: randomUUID(), healthchecks: checks(5, 5), hostHeader: null, targets: [server.entry()] }
      const a = h.prober('node-a', openLease(), () => [u])
      const b = h.prober('node-b', openLease(), () => [u])
      try {
        await a.tick()
        await b.tick()
        assert.deepEqual([a.leases.has(u.id), b.leases.has(u.id)], [true, false])
        await a.stop()
        await b.tick()
        assert.equal(b.leases.has(u.id), true, 'released, not left to expire (the TTL here is 7.5 s)')
      } finally {
        await h.stop()
      }
    })
  })
}

takeoverSuite('memory', (() => {
  const shared = new MemoryLease()
  return () => shared
})(), async () => {})

const redisLeases: RedisLease[] = []
const redisPrefix = `switchyard:test:lease:${randomUUID()}`
takeoverSuite(
  'redis',
  () => {
    const l = new RedisLease(REDIS_URL, redisPrefix)
    redisLeases.push(l)
    return l
  },
  async () => {
    await Promise.all(redisLeases.map((l) => l.close()))
  }
)
