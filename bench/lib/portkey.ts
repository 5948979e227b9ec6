// Portkey's AI gateway (a Node AI gateway on Hono) as a comparison case for bench:proxy. It is
// installed on demand with npm into a cache folder outside the repository, so it is never a
// dependency of the project's packages; its loadbalance config over the same backends travels
// in the `x-portkey-config` header of every request (OpenAI-compatible provider, `custom_host`
// pointing at each backend).

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { spawnTracked, stop } from './children.ts'
import { freePort } from './nginx.ts'
import { waitForPort } from './wait-port.ts'

export const PORTKEY_PACKAGE = '@portkey-ai/gateway'
export const PORTKEY_VERSION = '1.15.2'

const cacheDir = () =>
  process.env['BENCH_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'switchyard-bench')

/** Path of Portkey's node entry point, installing the package first when missing. */
export function ensurePortkey(): { entry?: string; note: string } {
  const dir = join(cacheDir(), `portkey-${PORTKEY_VERSION}`)
  const entry = join(dir, 'node_modules', PORTKEY_PACKAGE, 'build', 'start-server.js')
  if (existsSync(entry)) return { entry, note: `portkey ${PORTKEY_VERSION}` }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'switchyard-bench-portkey', private: true }))
  process.stdout.write(`installing ${PORTKEY_PACKAGE}@${PORTKEY_VERSION} into ${dir} … `)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', `${PORTKEY_PACKAGE}@${PORTKEY_VERSION}`], {
    cwd: dir,
    stdio: 'ignore',
    timeout: 300_000,
  })
  const ok = r.status === 0 && existsSync(entry)
  console.log(ok ? 'done' : 'failed')
  return ok ? { entry, note: `portkey ${PORTKEY_VERSION}` } : { note: `npm install ${PORTKEY_PACKAGE} failed: skipped` }
}

/** The `x-portkey-config` value: round-robin-like loadbalance, equal weights, over `backends`. */
export function portkeyConfig(backends: string[]): string {
  return JSON.stringify({
    strategy: { mode: 'loadbalance' },
    targets: backends.map((b) => ({ provider: 'openai', api_key: 'sk-bench', custom_host: `http://${b}/v1`, weight: 1 })),
  })
}

export interface PortkeyInstance {
  port: number
  pid: number
  close(): Promise<void>
}

export async function startPortkey(entry: string): Promise<PortkeyInstance> {
  const port = await freePort()
  const child = spawnTracked(process.execPath, [entry, `--port=${port}`, '--headless'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  await waitForPort(port, child, 15_000)
  return { port, pid: child.pid ?? 0, close: () => stop(child) }
}
