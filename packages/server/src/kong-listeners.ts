// Kong's description of a listen setting, as `GET /` shows it in `configuration` (after
// kong/conf_loader/listeners.lua): each comma-separated entry becomes an object with its
// address, every known flag as a boolean (a pattern flag found is keyed by the text found,
// one not found by its pattern) and the entry rewritten without `http2`.

const HTTP_FLAGS = [
  'ssl',
  'http2',
  'proxy_protocol',
  'deferred',
  'bind',
  'reuseport',
  'backlog=%d+',
  'ipv6only=on',
  'ipv6only=off',
  'so_keepalive=on',
  'so_keepalive=off',
  'so_keepalive=%w*:%w*:%d*',
] as const

const FLAG_PATTERNS: Record<string, RegExp> = {
  'backlog=%d+': /^backlog=\d+$/,
  'so_keepalive=%w*:%w*:%d*': /^so_keepalive=\w*:\w*:\d*$/,
}

export type KongListener = Record<string, string | number | boolean>

/** The entries of a listen setting as Kong keeps them (`admin_listen`): trimmed, `off` → []. */
export function listenEntries(value: string): string[] {
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '')
  return entries.length === 0 || entries[0] === 'off' ? [] : entries
}

/** `proxy_listeners`, `admin_listeners`, … for a listen setting; undefined when it is malformed. */
export function kongListeners(value: string): KongListener[] | undefined {
  const out: KongListener[] = []
  for (const entry of listenEntries(value)) {
    const words = entry.split(/\s+/)
    const address = words[0]!
    const rest = words.slice(1)
    const listener: KongListener = {}
    const kept: string[] = []
    for (const flag of HTTP_FLAGS) {
      const pattern = FLAG_PATTERNS[flag]
      const found = rest.find((w) => (pattern ? pattern.test(w) : w === flag))
      listener[found ?? flag] = found !== undefined
      if (found !== undefined && flag !== 'http2') kept.push(found)
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address)
    if (!m) return undefined
    listener['ip'] = m[1]!
    listener['port'] = Number(m[2])
    listener['listener'] = `${m[1]}:${m[2]}${kept.length > 0 ? ` ${kept.join(' ')}` : ''}`
    out.push(listener)
  }
  return out
}
