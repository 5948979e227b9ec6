// Kong's listen syntax (KONG_ADMIN_LISTEN, KONG_PROXY_LISTEN, …), one parser for every app.

export interface Listen {
  host: string
  port: number
}

/** One entry of a listen list; `ssl` marks a TLS listener ("0.0.0.0:8443 ssl"). */
export interface ListenEntry extends Listen {
  ssl: boolean
}

function parseAddress(address: string): Listen {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address)
  if (!m) throw new Error(`invalid listen address '${address}' (expected host:port)`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

/** Every entry of a listen list with its `ssl` flag; empty for "off". */
export function parseListeners(value: string | undefined, fallback: string): ListenEntry[] {
  const text = (value ?? fallback).trim()
  if (text === 'off') return []
  return text.split(',').map((e) => {
    const [address = '', ...flags] = e.trim().split(/\s+/)
    return { ...parseAddress(address), ssl: flags.includes('ssl') }
  })
}

/**
 * Parses "127.0.0.1:8001", "0.0.0.0:8000 reuseport backlog=16384", a comma-separated list (the
 * first entry without `ssl`: TLS listeners come from parseListeners) or "off" (undefined).
 */
export function parseListen(value: string | undefined, fallback: string): Listen | undefined {
  const text = (value ?? fallback).trim()
  if (text === 'off') return undefined
  const entries = text.split(',').map((e) => e.trim())
  const entry = entries.find((e) => !/\sssl\b/.test(e)) ?? entries[0]!
  return parseAddress(entry.split(/\s+/)[0]!)
}
