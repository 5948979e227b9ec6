// Kong's listen syntax (KONG_ADMIN_LISTEN, KONG_PROXY_LISTEN, …), one parser for every app.

export interface Listen {
  host: string
  port: number
}

/**
 * Parses "127.0.0.1:8001", "0.0.0.0:8000 reuseport backlog=16384", a comma-separated list (the
 * first entry without `ssl` is used; TLS listeners are not served) or "off" (undefined).
 */
export function parseListen(value: string | undefined, fallback: string): Listen | undefined {
  const text = (value ?? fallback).trim()
  if (text === 'off') return undefined
  const entries = text.split(',').map((e) => e.trim())
  const entry = entries.find((e) => !/\sssl\b/.test(e)) ?? entries[0]!
  const address = entry.split(/\s+/)[0]!
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address)
  if (!m) throw new Error(`invalid listen address '${address}' (expected host:port)`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}
