// Load generation in a separate process: wrk when available (C, costs little CPU next to the
// proxy), else our small node generator (bench/lib/node-loadgen.ts), which is slower and so
// understates throughput; the header line says which one ran.

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnTracked } from './children.ts'

export interface LoadResult {
  requests: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
  /** Socket errors plus non-2xx answers. */
  errors: number
}

/** What each request sends; a GET without body when absent. */
export interface RequestShape {
  method: string
  body: string
  headers: Record<string, string>
}

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  request?: RequestShape | undefined
}

export type LoadGenerator = (o: LoadOptions) => Promise<LoadResult>

function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd })
    let out = ''
    let err = ''
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`))))
  })
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!m) throw new Error(`unreadable wrk duration: ${text}`)
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1)
}

export function parseWrk(out: string): LoadResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out)
    if (!m?.[1]) throw new Error(`wrk output without ${p}%:\n${out}`)
    return durationMs(m[1])
  }
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  if (!total || !rps) throw new Error(`unreadable wrk output:\n${out}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const errors =
    (socket ? socket.slice(1).reduce((s, n) => s + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0)
  return {
    requests: Number(total[1]),
    seconds: durationMs(`${total[2]}${total[3]}`) / 1000,
    rps: Number(rps[1]),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    errors,
  }
}

const luaString = (s: string) => JSON.stringify(s)

/** A wrk script that sends `shape` on every request. */
export function wrkScript(shape: RequestShape): string {
  const lines = [`wrk.method = ${luaString(shape.method)}`, `wrk.body = ${luaString(shape.body)}`]
  for (const [k, v] of Object.entries(shape.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`)
  return lines.join('\n') + '\n'
}

let scriptDir: string | undefined

export function wrkGenerator(wrk: string): LoadGenerator {
  return async ({ url, connections, seconds, request }) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency']
    if (request) {
      scriptDir ??= mkdtempSync(join(tmpdir(), 'switchyard-bench-wrk-'))
      const file = join(scriptDir, `shape-${Math.random().toString(36).slice(2)}.lua`)
      writeFileSync(file, wrkScript(request))
      args.push('-s', file)
    }
    return parseWrk(await run(wrk, [...args, url]))
  }
}

/** Fixed-rate open-loop load (bench/lib/rate-loadgen.ts): latency counted from each scheduled start. */
export async function fixedRate(url: string, rate: number, seconds: number, request?: RequestShape): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./rate-loadgen.ts', import.meta.url))
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const args = ['--import', 'tsx', script, url, String(rate), String(seconds), request ? JSON.stringify(request) : '']
  return JSON.parse(await run(process.execPath, args, root)) as LoadResult
}

export function nodeGenerator(): LoadGenerator {
  const script = fileURLToPath(new URL('./node-loadgen.ts', import.meta.url))
  const root = fileURLToPath(new URL('../..', import.meta.url))
  return async ({ url, connections, seconds, request }) =>
    JSON.parse(
      await run(
        process.execPath,
        ['--import', 'tsx', script, url, String(connections), String(seconds), request ? JSON.stringify(request) : ''],
        root
      )
    ) as LoadResult
}
