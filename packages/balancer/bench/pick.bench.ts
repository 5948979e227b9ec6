// Microbenchmark: picks per second per algorithm, each pick followed by what the proxy does with
// the handle (TTFB report for latency, release). Not a test: figures depend on the machine, so
// nothing asserts on them. Run: node --import tsx packages/balancer/bench/pick.bench.ts

import { performance } from 'node:perf_hooks'
import { ALGORITHM_NAMES, Balancer } from '../src/index.js'
import type { AlgorithmName, TargetConfig } from '../src/index.js'

const TARGET_COUNTS = [4, 16, 64]
const WARMUP_PICKS = 200_000
const MEASURED_PICKS = 1_000_000
const HASH_KEYS = Array.from({ length: 4096 }, (_, i) => ({ hashValue: `session-${i}` }))

function targets(count: number): TargetConfig[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `target-${i}`,
    target: `10.0.${i >> 8}.${i & 255}:8080`,
    weight: 100 + (i % 3) * 50,
  }))
}

function run(balancer: Balancer, picks: number): number {
  const start = performance.now()
  for (let i = 0; i < picks; i++) {
    const result = balancer.pick(HASH_KEYS[i & 4095]!)
    if (!result.ok) throw new Error(result.error.message)
    result.handle.reportTtfb(20 + (i & 15))
    result.handle.release()
  }
  return picks / ((performance.now() - start) / 1000)
}

function bench(algorithm: AlgorithmName, count: number): number {
  const balancer = new Balancer(
    { id: 'u', name: 'bench', algorithm, slots: 10_000, healthchecks: { threshold: 0 } },
    targets(count),
    { now: () => performance.now(), random: Math.random },
  )
  // One unhealthy target, so skipping is part of what is measured.
  balancer.setHealth('target-0', false)
  run(balancer, WARMUP_PICKS)
  return run(balancer, MEASURED_PICKS)
}

console.log(`picks/second (pick + reportTtfb + release), node ${process.version}`)
const header = TARGET_COUNTS.map((n) => `${n} targets`.padStart(14))
console.log(['algorithm'.padEnd(20), ...header].join(''))
for (const algorithm of ALGORITHM_NAMES) {
  const rates = TARGET_COUNTS.map((n) => bench(algorithm, n))
  const cells = rates.map((r) => `${(r / 1e6).toFixed(2)} M`.padStart(14))
  console.log([algorithm.padEnd(20), ...cells].join(''))
}
