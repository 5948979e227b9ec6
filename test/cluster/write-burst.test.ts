// Fault: a burst of 1,000 Admin API writes (10 in flight: upstream/target creates, weight
// changes, target and upstream deletes, service/route changes). One data plane runs before the
// burst, one is started while it is in flight, one after it; all three must end on exactly the
// control plane's version and hash.

import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { TestCluster, runBounded, type DataPlaneProcess, type AdminClient } from '@switchyard/test-kit'

const WRITES = 1000
const IN_FLIGHT = 10
/** The "during" data plane is started after this many writes... */
const START_DURING_AT = 150
/** ...and writes past this one wait until it has bootstrapped, so it surely boots mid-burst. */
const GATE_AT = 650

const cluster = new TestCluster('write-burst')
after(() => cluster.cleanup())

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays the same writes. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface WorkerState {
  upstreams: Map<string, string[]> // upstream name -> target ids (absent key: deleted)
  nextPort: number
  service: string | undefined
}

/**
 * One worker's writes. Each worker owns its own upstreams and service, so its writes never
 * race another worker's; with 10 workers there are always 10 writes in flight.
 */
function makeWorker(admin: AdminClient, w: number) {
  const random = rng(1000 + w)
  const state: WorkerState = { upstreams: new Map(), nextPort: 20000 + w * 1000, service: undefined }
  const names = [`burst-${w}-a`, `burst-${w}-b`]
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!

  return async function step(): Promise<string> {
    const missing = names.find((n) => !state.upstreams.has(n))
    if (missing) {
      await admin.ok('POST', '/upstreams', { name: missing, algorithm: pick(['round-robin', 'least-connections']) })
      state.upstreams.set(missing, [])
      return 'create upstream'
    }
    if (!state.service) {
      const svc = await admin.ok<{ id: string }>('POST', '/services', { name: `burst-svc-${w}`, host: names[0], port: 80 })
      await admin.ok('POST', `/services/${svc.id}/routes`, { paths: [`/burst-${w}`] })
      state.service = svc.id
      return 'create service + route'
    }
    const upstream = pick(names)
    const targets = state.upstreams.get(upstream)!
    const r = random()
    if (r < 0.4 || targets.length === 0) {
      const t = await admin.ok<{ id: string }>('POST', `/upstreams/${upstream}/targets`, {
        target: `127.0.0.1:${state.nextPort++}`,
        weight: 1 + Math.floor(random() * 200),
      })
      targets.push(t.id)
      return 'create target'
    }
    if (r < 0.7) {
      await admin.ok('PATCH', `/upstreams/${upstream}/targets/${pick(targets)}`, { weight: Math.floor(random() * 1000) })
      return 'weight change'
    }
    if (r < 0.88) {
      const id = targets.splice(Math.floor(random() * targets.length), 1)[0]!
      await admin.ok('DELETE', `/upstreams/${upstream}/targets/${id}`)
      return 'delete target'
    }
    if (r < 0.95) {
      await admin.ok('PATCH', `/services/${state.service}`, { retries: Math.floor(random() * 10), host: pick(names) })
      return 'service change'
    }
    // Deleting an upstream cascades to its targets (no per-target events); it is recreated later.
    await admin.ok('DELETE', `/upstreams/${upstream}`)
    state.upstreams.delete(upstream)
    return 'delete upstream'
  }
}

test('data planes started before, during and after 1,000 admin writes converge on the control plane', { timeout: 90_000 }, async () => {
  await cluster.startControl()
  const admin = cluster.admin
  const before = await cluster.addDataPlane()

  let done = 0
  const failures: string[] = []
  const kinds = new Map<string, number>()
  let during: Promise<DataPlaneProcess> | undefined
  let gate: Promise<unknown> | undefined
  const workers = Array.from({ length: IN_FLIGHT }, (_, w) => makeWorker(admin, w))
  const started = performance.now()

  await runBounded(IN_FLIGHT, IN_FLIGHT, async (w) => {
    const step = workers[w]!
    while (done < WRITES) {
      const i = done++
      if (i === START_DURING_AT) {
        during = cluster.addDataPlane()
        gate = during.then((dp) => dp.proc.waitForLine('bootstrapped from control plane snapshot', 20_000))
      }
      if (i >= GATE_AT && gate) await gate
      try {
        const kind = await step()
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  })
  const burstMs = performance.now() - started
  assert.deepEqual(failures, [], 'every admin write answers 2xx')
  assert.ok(during, 'the second data plane was started during the burst')
  const dpDuring = await during

  // The "during" data plane really booted mid-burst: its snapshot is older than the final version.
  const final = await cluster.control.status()
  const boot = await dpDuring.proc.waitForLine('bootstrapped from control plane snapshot', 1000)
  const bootVersion = Number(boot['version'])
  assert.ok(bootVersion > 0 && bootVersion < final.config_version, `booted at ${bootVersion} of ${final.config_version}`)
  // Creating a service and its route is two writes, so there are more versions than steps.
  assert.ok(final.config_version >= WRITES, `version ${final.config_version} after ${WRITES} writes`)

  const afterDp = await cluster.addDataPlane()
  const t0 = performance.now()
  const converged = await cluster.waitForConvergence(5000, [before, dpDuring, afterDp])
  const convergeMs = performance.now() - t0
  assert.deepEqual(converged, final, 'nothing was written after the burst')

  // The control plane's hash reflects real content: targets survive on some upstream.
  const statuses = await Promise.all([before, dpDuring, afterDp].map((dp) => dp.status()))
  for (const s of statuses) {
    assert.equal(s.config_hash, final.config_hash)
    assert.equal(s.config_version, final.config_version)
    assert.equal(s.redis.connected, true)
    assert.equal(s.control_plane.reachable, true)
  }
  const upstreams = await admin.ok<{ data: unknown[] }>('GET', '/upstreams?size=1000')
  assert.ok(upstreams.data.length > 0)
  console.log(
    `# burst: ${WRITES} writes in ${Math.round(burstMs)} ms (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); ` +
      `during-DP booted at v${bootVersion}/${final.config_version}; converged ${Math.round(convergeMs)} ms after the burst`
  )
})
