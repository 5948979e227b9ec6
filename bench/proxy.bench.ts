// `npm run bench:proxy`: in one run on 127.0.0.1, the same OpenAI-style chat completion POST
// against (1) plain node:http backends directly, (2) the runtime's floor, a bare Node proxy
// (node:http + undici Pool.dispatch, round-robin, nothing else), (3) the same on Pool.request,
// (4) Switchyard's data plane without plugins and (5) with the prometheus plugin and every one
// of its switches, each in its own process proxying round-robin to the backends, (6) nginx with
// an equivalent config and (7) Portkey's AI gateway (loadbalance over the same backends) when
// they can be installed. Reports req/s, p50/p99, the proxy's CPU-seconds from /proc and requests
// per proxy CPU-second, ratios against the bare dispatch proxy and nginx, the p99 latency added
// over direct and the proxy's CPU per request at a fixed, non-saturating rate (open loop; the
// steadier figure on a shared machine, see below), and the SSE time-to-first-byte
// overhead. It only prints: no wall-clock pass/fail.
//
// The machine's speed drifts by tens of percent within minutes, so cases are not measured one
// after the other: BENCH_ROUNDS rounds each measure every case once, in turn, and each ratio is
// the median of its per-round ratios (the two cases measured seconds apart), with every round's
// ratio printed next to it.
//
// Env: BENCH_SECONDS (3 per case and round), BENCH_ROUNDS (3), BENCH_WARMUP (2), BENCH_CONNECTIONS
// (10,50), BENCH_RATE (1000 req/s for the fixed-rate cases, 0 to skip), BENCH_RATE_SECONDS (BENCH_SECONDS),
// BENCH_SSE_STREAMS (200), BENCH_PROXY_MODULE (an experiment copy of proxy-server.ts, see
// proxy-process.ts), BENCH_CASES (comma list of direct, bare-dispatch, bare-request,
// switchyard, switchyard-prom, nginx, portkey; all by default), BENCH_CPU_PROF (a folder: the
// Switchyard processes run with --cpu-prof and write their profiles in a subfolder per case, one
// file per thread (the largest is the main thread); print the top frames with
// `node --import tsx bench/lib/cpu-profile-top.ts <file>`), BENCH_CACHE_DIR (where
// Portkey is installed; ~/.cache/switchyard-bench).

import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installCleanup, spawnTracked, stopAll } from './lib/children.ts'
import { fixedRate, nodeGenerator, wrkGenerator, type LoadGenerator, type LoadResult, type RequestShape } from './lib/load.ts'
import { startNginx, type NginxInstance } from './lib/nginx.ts'
import { ensurePortkey, portkeyConfig, startPortkey, type PortkeyInstance } from './lib/portkey.ts'
import { cpuSecondsOf, procAvailable } from './lib/proc-cpu.ts'
import { median } from './lib/quantile.ts'
import { sseTtfb, type TtfbResult } from './lib/sse-ttfb.ts'
import { ensureTool, versionOf } from './lib/tools.ts'

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3)
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 2)
const SSE_STREAMS = Number(process.env['BENCH_SSE_STREAMS'] ?? 200)
const CONNECTIONS = (process.env['BENCH_CONNECTIONS'] ?? '10,50').split(',').map(Number).filter((n) => n > 0)
const RATE = Number(process.env['BENCH_RATE'] ?? 1000)
const RATE_SECONDS = Number(process.env['BENCH_RATE_SECONDS'] ?? SECONDS)
const CPU_PROF = process.env['BENCH_CPU_PROF']
const TARGETS = { nginxRatio: 0.6, bareRatio: 1.15, bareRatioProm: 1.0, addedP99AtRateMs: 0.5, addedP99Ms: 1, sseOverheadMs: 2 }

const root = fileURLToPath(new URL('..', import.meta.url))
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

const PATH = '/v1/chat/completions'
const CHAT_BODY = JSON.stringify({
  model: 'bench',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello.' },
  ],
  max_tokens: 16,
})
const chatShape = (extra: Record<string, string> = {}): RequestShape => ({
  method: 'POST',
  body: CHAT_BODY,
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...extra },
})

type CaseName = 'direct' | 'bare-dispatch' | 'bare-request' | 'switchyard' | 'switchyard-prom' | 'nginx' | 'portkey'

interface Case {
  name: CaseName
  /** Base URL, without path. */
  base: string
  /** Processes whose CPU is the proxy's cost; empty for direct. */
  pids: number[]
  shape: RequestShape
  /** Has a GET /sse passthrough for the TTFB measure. */
  sse: boolean
}

interface Row {
  name: CaseName
  connections: number
  round: number
  load: LoadResult
  cpuS: number | undefined
  backendCpuS: number
}

/** Starts a tsx child and waits for its first IPC message. */
function startChild<T>(script: string, args: string[], execArgv: string[] = []): Promise<{ child: ChildProcess; msg: T }> {
  const child = spawnTracked(process.execPath, [...execArgv, '--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, msg: msg as T }))
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)))
  })
}

async function measure(gen: LoadGenerator, c: Case, connections: number, round: number, backendPid: number): Promise<Row> {
  const before = cpuSecondsOf(c.pids)
  const backendBefore = cpuSecondsOf([backendPid])
  const load = await gen({ url: c.base + PATH, connections, seconds: SECONDS, request: c.shape })
  const cpuS = c.pids.length > 0 ? cpuSecondsOf(c.pids) - before : undefined
  return { name: c.name, connections, round, load, cpuS, backendCpuS: cpuSecondsOf([backendPid]) - backendBefore }
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US')
const fmtMs = (n: number) => n.toFixed(2)
const pad = (s: string, w: number, left = false) => (left ? s.padEnd(w) : s.padStart(w))

function printLoadTable(rows: Row[]): void {
  const head = ['case', 'conns', 'round', 'req/s', 'p50 ms', 'p99 ms', 'proxy CPU-s', 'req/proxy-CPU-s', 'backend CPU-s', 'errors']
  const widths = [16, 6, 6, 9, 8, 8, 12, 16, 14, 7]
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 8, i === 0)).join(' ')
  console.log(line(head))
  for (const r of rows) {
    const perCpu = r.cpuS && r.cpuS > 0 ? fmtInt(r.load.requests / r.cpuS) : '-'
    console.log(
      line([
        r.name,
        String(r.connections),
        String(r.round + 1),
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

const loadavg = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return '?'
  }
}

async function main(): Promise<void> {
  const only = process.env['BENCH_CASES']?.split(',') as CaseName[] | undefined
  const wanted = (n: CaseName) => !only || only.includes(n)
  const perCase = WARMUP + (SECONDS * CONNECTIONS.length + (RATE > 0 ? RATE_SECONDS + 1 : 0)) * ROUNDS + 5
  installCleanup(Math.max(170_000, (perCase * 7 + 120) * 1000))
  if (!procAvailable()) throw new Error('bench:proxy needs /proc to read proxy CPU time (Linux)')

  const wrk = ensureTool('wrk', 'wrk')
  const nginx = wanted('nginx') ? ensureTool('nginx', 'nginx') : { note: 'not asked for' }
  const portkey = wanted('portkey') ? ensurePortkey() : { note: 'not asked for' }
  const gen = wrk.path ? wrkGenerator(wrk.path) : nodeGenerator()
  const genName = wrk.path
    ? `wrk ${versionOf(wrk.path, ['-v'], /wrk (\S+)/)} (1 thread)`
    : `node fallback generator (${wrk.note}; throughput understated)`

  const backend = await startChild<{ ports: number[] }>(here('./lib/backend-process.ts'), ['2'])
  const backends = backend.msg.ports.map((p) => `127.0.0.1:${p}`)
  const prof = (tag: string) =>
    CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF, tag)}`] : []
  const cases: Case[] = []
  const url = (port: number) => `http://127.0.0.1:${port}`
  const plain = chatShape()
  if (wanted('direct')) cases.push({ name: 'direct', base: `http://${backends[0]}`, pids: [], shape: plain, sse: true })
  for (const mode of ['dispatch', 'request'] as const) {
    if (!wanted(`bare-${mode}`)) continue
    const bare = await startChild<{ port: number }>(here('./lib/bare-proxy-process.ts'), [mode, backends.join(',')])
    cases.push({ name: `bare-${mode}`, base: url(bare.msg.port), pids: [bare.child.pid ?? 0], shape: plain, sse: true })
  }
  for (const [name, arg] of [['switchyard', 'none'], ['switchyard-prom', 'prometheus']] as const) {
    if (!wanted(name)) continue
    const p = await startChild<{ port: number }>(here('./lib/proxy-process.ts'), [backends.join(','), arg], prof(name))
    cases.push({ name, base: url(p.msg.port), pids: [p.child.pid ?? 0], shape: plain, sse: true })
  }
  let ng: NginxInstance | undefined
  let nginxNote = nginx.note
  if ('path' in nginx && nginx.path) {
    try {
      ng = await startNginx(nginx.path, backends)
      nginxNote = `nginx ${versionOf(nginx.path, ['-v'], /nginx\/(\S+)/)} (1 worker)`
      cases.push({ name: 'nginx', base: url(ng.port), pids: ng.pids, shape: plain, sse: true })
    } catch (err) {
      nginxNote = `nginx failed to start, skipped: ${(err as Error).message.split('\n')[0]}`
    }
  }
  let pk: PortkeyInstance | undefined
  let portkeyNote = portkey.note
  if ('entry' in portkey && portkey.entry) {
    try {
      pk = await startPortkey(portkey.entry)
      const shape = chatShape({ 'x-portkey-config': portkeyConfig(backends) })
      cases.push({ name: 'portkey', base: url(pk.port), pids: [pk.pid], shape, sse: false })
    } catch (err) {
      portkeyNote = `portkey failed to start, skipped: ${(err as Error).message.split('\n')[0]}`
    }
  }

  console.log(
    `Switchyard proxy bench: loopback, ${cpus().length} CPUs, node ${process.version}, ${genName}, ${nginxNote}, ${portkeyNote}`
  )
  console.log(
    `backends: 2 node:http servers in one process; POST ${PATH} (${CHAT_BODY.length} B JSON); ` +
      `${SECONDS} s per case and round, ${ROUNDS} rounds, after ${WARMUP} s warm-up; SSE: median of ${SSE_STREAMS} streams` +
      `${process.env['BENCH_PROXY_MODULE'] ? `; proxy module: ${process.env['BENCH_PROXY_MODULE']}` : ''}`
  )
  console.log(`load average before: ${loadavg()}`)

  const rows: Row[] = []
  for (const c of cases) {
    process.stdout.write(`  ${c.name}: warm-up\n`)
    await gen({ url: c.base + PATH, connections: 50, seconds: WARMUP, request: c.shape })
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of CONNECTIONS) {
      process.stdout.write(`  round ${round + 1}, ${n} conns:`)
      for (const c of cases) {
        process.stdout.write(` ${c.name}`)
        rows.push(await measure(gen, c, n, round, backend.child.pid ?? 0))
      }
      console.log()
    }
  }

  // Not saturating: a fixed rate, open loop, latency from each scheduled start. Portkey is left
  // out: at this rate it needs about a whole core and the figure would measure its queue.
  // The proxy's CPU per request at that rate too: every case gets the same offered load, so
  // unlike the saturated figures it does not depend on how much CPU the proxy could get (a
  // starved proxy batches more and looks cheaper per request on a shared machine).
  // Per round: the latency figures and the proxy's CPU µs per request.
  const atRate: Array<Map<CaseName, LoadResult>> = []
  const cpuAtRate: Array<Map<CaseName, number>> = []
  if (RATE > 0) {
    for (let round = 0; round < ROUNDS; round++) {
      const latency = new Map<CaseName, LoadResult>()
      const cpu = new Map<CaseName, number>()
      process.stdout.write(`  round ${round + 1}, ${RATE} req/s for ${RATE_SECONDS} s:`)
      for (const c of cases) {
        if (c.name === 'portkey') continue
        process.stdout.write(` ${c.name}`)
        const cpuBefore = c.pids.length > 0 ? cpuSecondsOf(c.pids) : 0
        const r = await fixedRate(c.base + PATH, RATE, RATE_SECONDS, c.shape)
        latency.set(c.name, r)
        if (c.pids.length > 0 && r.requests > 0) cpu.set(c.name, ((cpuSecondsOf(c.pids) - cpuBefore) * 1e6) / r.requests)
      }
      console.log()
      atRate.push(latency)
      cpuAtRate.push(cpu)
    }
  }

  const sse = new Map<CaseName, TtfbResult>()
  for (const c of cases) {
    if (!c.sse) continue
    process.stdout.write(`  SSE TTFB: ${c.name}\n`)
    sse.set(c.name, await sseTtfb(`${c.base}/sse`, SSE_STREAMS))
  }
  const loadAfter = loadavg()

  await ng?.close()
  await pk?.close()
  await stopAll()

  console.log('\nThroughput and latency (requests per proxy CPU-second = requests / proxy process CPU time)')
  rows.sort((a, b) => a.connections - b.connections || a.round - b.round)
  printLoadTable(rows)

  for (const [round, latency] of atRate.entries()) {
    console.log(`\nAt a fixed ${RATE} req/s, round ${round + 1} (open loop, latency from the scheduled start)`)
    const d = latency.get('direct')
    for (const [name, r] of latency) {
      const added = d && name !== 'direct' ? `   added p99 ${fmtMs(r.p99Ms - d.p99Ms)} ms` : ''
      const cpu = cpuAtRate[round]?.get(name)
      const perReq = cpu !== undefined ? `   proxy CPU ${cpu.toFixed(1)} µs/request` : ''
      console.log(`${name.padEnd(16)} p50 ${fmtMs(r.p50Ms)} ms   p99 ${fmtMs(r.p99Ms)} ms   (${r.requests} requests, ${r.errors} errors)${added}${perReq}`)
    }
  }

  console.log('\nSSE time to first data: chunk (one connection, streams in sequence)')
  for (const [name, r] of sse) {
    console.log(`${name.padEnd(16)} p50 ${fmtMs(r.p50Ms)} ms   p90 ${fmtMs(r.p90Ms)} ms   (${r.samples} streams)`)
  }

  const row = (name: CaseName, n: number, round: number) => rows.find((r) => r.name === name && r.connections === n && r.round === round)
  const perCpu = (r: Row | undefined) => (r?.cpuS ? r.load.requests / r.cpuS : undefined)
  const lines: Array<[string, string, string, boolean | undefined]> = []
  /** One target line from per-round ratios: their median, then each round's. */
  const medianLine = (what: string, ratios: number[], target: number | undefined) => {
    const t = target === undefined ? '' : `>= ${target}x`
    if (ratios.length === 0) return lines.push([what, 'n/a', t, undefined])
    const m = median(ratios)
    lines.push([`${what} (rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')})`, `${m.toFixed(2)}x`, t, target === undefined ? undefined : m >= target])
  }
  const ratioLine = (a: CaseName, b: CaseName, n: number, target: number | undefined) => {
    const ratios: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const x = perCpu(row(a, n, round))
      const y = perCpu(row(b, n, round))
      if (x !== undefined && y !== undefined) ratios.push(x / y)
    }
    medianLine(`${a}/${b} requests per proxy CPU-s @${n} conns`, ratios, target)
  }
  for (const n of CONNECTIONS) {
    ratioLine('switchyard', 'bare-dispatch', n, TARGETS.bareRatio)
    ratioLine('switchyard-prom', 'bare-dispatch', n, TARGETS.bareRatioProm)
    ratioLine('bare-request', 'bare-dispatch', n, undefined)
    ratioLine('portkey', 'bare-dispatch', n, undefined)
    ratioLine('switchyard', 'nginx', n, TARGETS.nginxRatio)
    ratioLine('bare-dispatch', 'nginx', n, undefined)
  }
  // The same targets on CPU per request at the fixed rate (bare-dispatch's µs over ours).
  for (const [name, target] of [['switchyard', TARGETS.bareRatio], ['switchyard-prom', TARGETS.bareRatioProm], ['nginx', undefined]] as const) {
    const ratios: number[] = []
    for (const cpu of cpuAtRate) {
      const ours = cpu.get(name)
      const bare = cpu.get('bare-dispatch')
      if (ours !== undefined && bare !== undefined) ratios.push(bare / ours)
    }
    if (ratios.length > 0) medianLine(`${name}/bare-dispatch requests per proxy CPU-s @${RATE} req/s`, ratios, target)
  }
  // Latency added over direct: the median over rounds of each round's difference.
  const addedLine = (what: string, diffs: number[], target: number, ours: boolean) => {
    if (diffs.length === 0) return
    const m = median(diffs)
    lines.push([`${what} (rounds: ${diffs.map(fmtMs).join(' ')})`, `${fmtMs(m)} ms`, `< ${target} ms`, ours ? m < target : undefined])
  }
  for (const name of ['switchyard', 'switchyard-prom', 'bare-dispatch', 'nginx'] as const) {
    const diffs: number[] = []
    for (const latency of atRate) {
      const r = latency.get(name)
      const d = latency.get('direct')
      if (r && d) diffs.push(r.p99Ms - d.p99Ms)
    }
    const ours = name.startsWith('switchyard')
    addedLine(`${name} added p99 latency vs direct @${RATE} req/s${ours ? '' : ' (reference)'}`, diffs, TARGETS.addedP99AtRateMs, ours)
  }
  for (const name of ['switchyard', 'nginx'] as const) {
    const diffs: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const r = row(name, 10, round)
      const d = row('direct', 10, round)
      if (r && d) diffs.push(r.load.p99Ms - d.load.p99Ms)
    }
    const ref = name === 'nginx'
    addedLine(`${name} added p99 latency vs direct @10 conns (saturating)${ref ? ' (reference)' : ''}`, diffs, TARGETS.addedP99Ms, !ref)
  }
  const sseDirect = sse.get('direct')
  for (const name of ['switchyard', 'bare-dispatch', 'nginx'] as const) {
    const r = sse.get(name)
    if (!r || !sseDirect) continue
    const over = r.p50Ms - sseDirect.p50Ms
    const ref = name !== 'switchyard'
    lines.push([`${name} SSE TTFB overhead vs direct (median)${ref ? ' (reference)' : ''}`, `${over.toFixed(2)} ms`, `< ${TARGETS.sseOverheadMs} ms`, ref ? undefined : over < TARGETS.sseOverheadMs])
  }
  console.log('\nAgainst the design targets (informational: the bench never fails on these)')
  printTargets(lines)
  console.log(`\nload average after: ${loadAfter}`)
}

try {
  await main()
} catch (err) {
  console.error('bench:proxy failed:', err)
  await stopAll()
  process.exitCode = 1
}
