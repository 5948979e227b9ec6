// The standalone gateway (`npm start`'s entry point) as a child process on free loopback ports,
// for end-to-end tests. Inherited DATABASE_URL / KONG_* settings are dropped so a developer's
// environment cannot change what a test runs against.

import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from './processes.js'

const GATEWAY_MAIN = fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url))
const START_TIMEOUT_MS = 60_000

export interface GatewayProcess {
  admin: string
  proxy: string
  status: string
  child: ChildProcess
  /** Everything the process printed so far. */
  output(): string
  /** SIGTERM and wait for exit (no-op when it already exited). */
  stop(): Promise<void>
}

export async function startGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()]
  const inherited: NodeJS.ProcessEnv = { ...process.env }
  for (const k of Object.keys(inherited)) if (k === 'DATABASE_URL' || k.startsWith('KONG_')) delete inherited[k]
  let out = ''
  const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_MAIN], {
    env: {
      ...inherited,
      KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!out.includes('switchyard gateway started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`gateway did not start:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    admin: `http://127.0.0.1:${admin}`,
    proxy: `http://127.0.0.1:${proxy}`,
    status: `http://127.0.0.1:${status}`,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}
