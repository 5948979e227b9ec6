// Shared pieces of the rate-limiting end-to-end tests: the standalone gateway (`npm start`)
// as a child process, form-encoded Admin API calls (as curl --data sends them), proxy GETs
// that keep every header, and a guard against a window boundary falling inside a sequence.

import {
  createTestDatabase,
  freePort,
  sleep,
  spawnNode,
  type ChildHandle,
  type TestDatabase,
} from '@switchyard/test-kit'

export interface Gateway {
  proc: ChildHandle
  admin: string
  proxy: string
  db: TestDatabase
  stop(): Promise<void>
}

/** The gateway on a fresh Postgres database, admin and proxy on free loopback ports. */
export async function startGateway(name: string): Promise<Gateway> {
  const db = await createTestDatabase()
  const [adminPort, proxyPort] = [await freePort(), await freePort()]
  const proc = spawnNode(name, 'apps/gateway/src/main.ts', {
    DATABASE_URL: db.url,
    KONG_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    KONG_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    KONG_STATUS_LISTEN: 'off',
    KONG_LOG_LEVEL: 'info',
  })
  try {
    await proc.waitForLine('switchyard gateway started', 30_000)
  } catch (err) {
    await proc.kill()
    await db.drop().catch(() => {})
    throw err
  }
  return {
    proc,
    db,
    admin: `http://127.0.0.1:${adminPort}`,
    proxy: `http://127.0.0.1:${proxyPort}`,
    stop: async () => {
      await proc.kill()
      await db.drop().catch(() => {})
    },
  }
}

/** An Admin API call with a form-encoded body (`curl --data k=v`); throws unless 2xx. */
export async function adminForm<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  fields: Record<string, string>
): Promise<T> {
  const res = await fetch(`${base}${path}`, { method, body: new URLSearchParams(fields), signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} answered ${res.status}: ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

/** An Admin API GET; throws unless 200. */
export async function adminGet<T = Record<string, unknown>>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text}`)
  return JSON.parse(text) as T
}

export interface ProxyAnswer {
  status: number
  headers: Record<string, string>
  body: string
  ms: number
}

/** One GET; header names lower-cased. */
export async function proxyGet(url: string, headers: Record<string, string> = {}): Promise<ProxyAnswer> {
  const t0 = performance.now()
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) })
  const body = await res.text()
  return { status: res.status, headers: Object.fromEntries(res.headers), body, ms: performance.now() - t0 }
}

const RL_HEADER = /^(x-ratelimit-|ratelimit-|retry-after$)/

/** The rate-limit headers of an answer (X-RateLimit-*, RateLimit-*, Retry-After). */
export function rateLimitHeaders(a: ProxyAnswer): Record<string, string> {
  return Object.fromEntries(Object.entries(a.headers).filter(([k]) => RL_HEADER.test(k)))
}

/**
 * Waits, if needed, so that at least `neededMs` remain in the current UTC window of
 * `windowMs`: a sequence that must see one window never straddles a boundary.
 */
export async function ensureWindowRoom(windowMs: number, neededMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs)
  if (left < neededMs) await sleep(left + 50)
}
