// `npm run bench:proxy`: in one run on 127.0.0.1, the same load against (1) plain node:http
// backends directly, (2) Switchyard's data plane in its own process proxying round-robin to
// them, (3) nginx with an equivalent config when installed. Reports req/s, p50/p99, the proxy's
// CPU-seconds from /proc and requests per proxy CPU-second, then ratios against the design
// targets, and the SSE time-to-first-byte overhead. It only prints: no wall-clock pass/fail.
//
// Env: BENCH_SECONDS (5 per case), BENCH_WARMUP (2), BENCH_SSE_STREAMS (200),
// BENCH_PROXY_MODULE (an experiment copy of proxy-server.ts, see proxy-process.ts),
// BENCH_CASES (comma list of direct,switchyard,nginx; all by default).

import type { ChildProcess } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { installCleanup, spawnTracked, stopAll } from './lib/children.ts'
import { nodeGenerator, wrkGenerator, type LoadGenerator, type LoadResult } from './lib/load.ts'
import { startNginx, type NginxInstance } from './lib/nginx.ts'
import { cpuSecondsOf, procAvailable } from './lib/proc-cpu.ts'
import { sseTtfb, type TtfbResult } from './lib/sse-ttfb.ts'
import { ensureTool, versionOf } from './lib/tools.ts'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5)
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 2)
const SSE_STREAMS = Number(process.env['BENCH_SSE_STREAMS'] ?? 200)
const CONNECTIONS = [10, 50] as const
const TARGETS = { ratio: 0.6, addedP99Ms: 1, sseOverheadMs: 2 }

const root = fileURLToPath(new URL('..', import.meta.url))
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

interface Case {
  name: 'direct' | 'switchyard' | 'nginx'
  url: string
  /** Processes whose CPU is the proxy's cost; empty for direct. */
  pids: number[]
}

interface Row {
  name: Case['name']
  connections: number
  load: LoadResult
  cpuS: number | undefined
  backendCpuS: number
}

/** Starts a tsx child and waits for its first IPC message. */
function startChild<T>(script: string, args: string[]): Promise<{ child: ChildProcess; msg: T }> {
  const child = spawnTracked(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, msg: msg as T }))
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)))
  })
}

async function measure(gen: LoadGenerator, c: Case, connections: number, backendPid: number): Promise<Row> {
  const before = cpuSecondsOf(c.pids)
  const backendBefore = cpuSecondsOf([backendPid])
  const load = await gen({ url: c.url, connections, seconds: SECONDS })
  const cpuS = c.pids.length > 0 ? cpuSecondsOf(c.pids) - before : undefined
  return { name: c.name, connections, load, cpuS, backendCpuS: cpuSecondsOf([backendPid]) - backendBefore }
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US')
const fmtMs = (n: number) => n.toFixed(2)
const pad = (s: string, w: number, left = false) => (left ? s.padEnd(w) : s.padStart(w))

function printLoadTable(rows: Row[]): void {
  const head = ['case', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'proxy CPU-s', 'req/proxy-CPU-s', 'backend CPU-s', 'errors']
  const widths = [11, 6, 9, 8, 8, 12, 16, 14, 7]
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 8, i === 0)).join(' ')
  console.log(line(head))
  for (const r of rows) {
    const perCpu = r.cpuS && r.cpuS > 0 ? fmtInt(r.load.requests / r.cpuS) : '-'
    console.log(
      line([
        r.name,
        String(r.connections),
        fmtInt(r.load.rps),
        fmtMs(r.load.p50Ms),
        fmtMs(r.load.p99Ms),
        r.cpuS === undefined ? '-' : r.cpuS.toFixed(2),
        perCpu,
        r.backendCpuS.toFixed(2),
        String(r.load.errors),
      ])
    )
  }
}

function printTargets(lines: Array<[string, string, string, boolean | undefined]>): void {
  const w = Math.max(...lines.map((l) => l[0].length))
  console.log(`${'measure'.padEnd(w)}  ${'measured'.padStart(10)}  ${'target'.padStart(8)}`)
  for (const [what, measured, target, met] of lines) {
    const verdict = met === undefined ? '' : met ? '  met' : '  NOT met'
    console.log(`${what.padEnd(w)}  ${measured.padStart(10)}  ${target.padStart(8)}${verdict}`)
  }
}

async function main(): Promise<void> {
  installCleanup(170_000)
  if (!procAvailable()) throw new Error('bench:proxy needs /proc to read proxy CPU time (Linux)')

  const wrk = ensureTool('wrk', 'wrk')
  const nginx = ensureTool('nginx', 'nginx')
  const gen = wrk.path ? wrkGenerator(wrk.path) : nodeGenerator()
  const genName = wrk.path
    ? `wrk ${versionOf(wrk.path, ['-v'], /wrk (\S+)/)} (1 thread)`
    : `node fallback generator (${wrk.note}; throughput understated)`

  const backend = await startChild<{ ports: number[] }>(here('./lib/backend-process.ts'), ['2'])
  const backends = backend.msg.ports.map((p) => `127.0.0.1:${p}`)
  const proxy = await startChild<{ port: number }>(here('./lib/proxy-process.ts'), [backends.join(',')])
  let ng: NginxInstance | undefined
  let nginxNote = nginx.note
  if (nginx.path) {
    try {
      ng = await startNginx(nginx.path, backends)
      nginxNote = `nginx ${versionOf(nginx.path, ['-v'], /nginx\/(\S+)/)} (1 worker)`
    } catch (err) {
      nginxNote = `nginx failed to start, skipped: ${(err as Error).message.split('\n')[0]}`
    }
  }

  const cases: Case[] = [
    { name: 'direct', url: `http://${backends[0]}/v1/chat`, pids: [] },
    { name: 'switchyard', url: `http://127.0.0.1:${proxy.msg.port}/v1/chat`, pids: [proxy.child.pid ?? 0] },
  ]
  if (ng) cases.push({ name: 'nginx', url: `http://127.0.0.1:${ng.port}/v1/chat`, pids: ng.pids })
  const only = process.env['BENCH_CASES']?.split(',')
  if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.includes(c.name)))

  console.log(
    `Switchyard proxy bench: loopback, ${cpus().length} CPUs, node ${process.version}, ${genName}, ${nginxNote}`
  )
  console.log(
    `backends: 2 node:http servers in one process; ${SECONDS} s per case after ${WARMUP} s warm-up; ` +
      `SSE: median of ${SSE_STREAMS} streams${process.env['BENCH_PROXY_MODULE'] ? `; proxy module: ${process.env['BENCH_PROXY_MODULE']}` : ''}`
  )

  const rows: Row[] = []
  for (const c of cases) {
    process.stdout.write(`  ${c.name}: warm-up`)
    await gen({ url: c.url, connections: 50, seconds: WARMUP })
    for (const n of CONNECTIONS) {
      process.stdout.write(`, ${n} conns`)
      rows.push(await measure(gen, c, n, backend.child.pid ?? 0))
    }
    console.log()
  }

  const sse = new Map<Case['name'], TtfbResult>()
  for (const c of cases) {
    process.stdout.write(`  SSE TTFB: ${c.name}\n`)
    sse.set(c.name, await sseTtfb(c.url.replace('/v1/chat', '/sse'), SSE_STREAMS))
  }

  await ng?.close()
  await stopAll()

  console.log('\nThroughput and latency (requests per proxy CPU-second = requests / proxy process CPU time)')
  rows.sort((a, b) => a.connections - b.connections)
  printLoadTable(rows)

  console.log('\nSSE time to first data: chunk (one connection, streams in sequence)')
  for (const [name, r] of sse) {
    console.log(`${name.padEnd(11)} p50 ${fmtMs(r.p50Ms)} ms   p90 ${fmtMs(r.p90Ms)} ms   (${r.samples} streams)`)
  }

  const row = (name: Case['name'], n: number) => rows.find((r) => r.name === name && r.connections === n)
  const perCpu = (r: Row | undefined) => (r?.cpuS ? r.load.requests / r.cpuS : undefined)
  const lines: Array<[string, string, string, boolean | undefined]> = []
  for (const n of CONNECTIONS) {
    const s = perCpu(row('switchyard', n))
    const g = perCpu(row('nginx', n))
    if (s !== undefined && g !== undefined) {
      const ratio = s / g
      lines.push([`switchyard/nginx requests per proxy CPU-s @${n} conns`, `${ratio.toFixed(2)}x`, `>= ${TARGETS.ratio}x`, ratio >= TARGETS.ratio])
    } else {
      lines.push([`switchyard/nginx requests per proxy CPU-s @${n} conns`, 'n/a', `>= ${TARGETS.ratio}x`, undefined])
    }
  }
  const d10 = row('direct', 10)
  for (const name of ['switchyard', 'nginx'] as const) {
    const r = row(name, 10)
    if (!r || !d10) continue
    const added = r.load.p99Ms - d10.load.p99Ms
    const ref = name === 'nginx'
    lines.push([`${name} added p99 latency vs direct @10 conns${ref ? ' (reference)' : ''}`, `${added.toFixed(2)} ms`, `< ${TARGETS.addedP99Ms} ms`, ref ? undefined : added < TARGETS.addedP99Ms])
  }
  const sseDirect = sse.get('direct')
  for (const name of ['switchyard', 'nginx'] as const) {
    const r = sse.get(name)
    if (!r || !sseDirect) continue
    const over = r.p50Ms - sseDirect.p50Ms
    const ref = name === 'nginx'
    lines.push([`${name} SSE TTFB overhead vs direct (median)${ref ? ' (reference)' : ''}`, `${over.toFixed(2)} ms`, `< ${TARGETS.sseOverheadMs} ms`, ref ? undefined : over < TARGETS.sseOverheadMs])
  }
  console.log('\nAgainst the design targets (informational: the bench never fails on these)')
  printTargets(lines)
}

try {
  await main()
} catch (err) {
  console.error('bench:proxy failed:', err)
  await stopAll()
  process.exitCode = 1
}
