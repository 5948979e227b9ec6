// Host and address parsing as Kong's kong/tools/ip.lua does it: classify a string as IPv4,
// IPv6 or hostname, validate it, and normalise it (IPv4 leading zeros dropped, IPv6 fully
// expanded and bracketed, hostname case preserved).

export type HostType = 'ipv4' | 'ipv6' | 'name'

export interface ParsedHost {
  type: HostType
  /** Normalised host; IPv6 is bracketed ("[0000:…:0001]"). */
  host: string
  port?: number
}

const HOSTNAME_CHARS = /^[A-Za-z0-9\-._]+$/
const MAX_PORT = 65535

/** Kong's hostname_type: more than one colon is IPv6, digits and dots (after colons) IPv4. */
export function hostnameType(name: string): HostType {
  const colons = name.split(':').length - 1
  if (colons > 1) return 'ipv6'
  if (/^[\d.]+$/.test(name.replace(/:/g, ''))) return 'ipv4'
  return 'name'
}

function parsePort(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined
  const port = Number(text)
  return port <= MAX_PORT ? port : undefined
}

function normaliseIpv4(address: string): ParsedHost | undefined {
  const m = /^([\d.]+)(?::(\d+))?$/.exec(address)
  if (!m) return undefined
  const parts = m[1]!.split('.')
  if (parts.length !== 4) return undefined
  const octets = parts.map((p) => (p === '' ? NaN : Number(p)))
  if (octets.some((o) => !Number.isInteger(o) || o > 255)) return undefined
  const out: ParsedHost = { type: 'ipv4', host: octets.join('.') }
  if (m[2] !== undefined) {
    const port = parsePort(m[2])
    if (port === undefined) return undefined
    out.port = port
  }
  return out
}

/** Expands an IPv6 text (no brackets) into 8 lower-case groups of 4 hex digits. */
export function expandIpv6(text: string): string | undefined {
  let head = text
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const p = normaliseIpv4(v4[1]!)
    if (!p) return undefined
    const o = p.host.split('.').map(Number)
    const g1 = ((o[0]! << 8) | o[1]!).toString(16)
    const g2 = ((o[2]! << 8) | o[3]!).toString(16)
    head = text.slice(0, -v4[1]!.length) + `${g1}:${g2}`
  }
  if (!/^[0-9a-fA-F:]+$/.test(head)) return undefined
  const halves = head.split('::')
  if (halves.length > 2) return undefined
  const left = halves[0] ? halves[0].split(':') : []
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : []
  if (halves.length === 1 && left.length !== 8) return undefined
  const missing = 8 - left.length - right.length
  if (missing < (halves.length === 2 ? 1 : 0)) return undefined
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right]
  if (groups.some((g) => g.length === 0 || g.length > 4)) return undefined
  return groups.map((g) => g.toLowerCase().padStart(4, '0')).join(':')
}

function normaliseIpv6(address: string): ParsedHost | undefined {
  let inner = address
  let portText: string | undefined
  if (address.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address)
    if (!m) return undefined
    inner = m[1]!
    portText = m[2]
  }
  const expanded = expandIpv6(inner)
  if (!expanded) return undefined
  const out: ParsedHost = { type: 'ipv6', host: `[${expanded}]` }
  if (portText !== undefined) {
    const port = parsePort(portText)
    if (port === undefined) return undefined
    out.port = port
  }
  return out
}

function normaliseName(address: string): ParsedHost | undefined {
  let name = address
  let port: number | undefined
  const m = /:(\d+)$/.exec(address)
  if (m) {
    port = parsePort(m[1]!)
    if (port === undefined) return undefined
    name = address.slice(0, -(m[1]!.length + 1))
  }
  if (!HOSTNAME_CHARS.test(name)) return undefined
  const labels = name.split('.')
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!
    // Empty labels only as a trailing dot (FQDN); no label may end with a dash.
    if (label === '' && i !== labels.length - 1) return undefined
    if (label.endsWith('-')) return undefined
  }
  const out: ParsedHost = { type: 'name', host: name }
  if (port !== undefined) out.port = port
  return out
}

/** Kong's normalize_ip: undefined when the string is no valid host[:port]. */
export function parseHost(address: string): ParsedHost | undefined {
  if (address.length === 0) return undefined
  switch (hostnameType(address)) {
    case 'ipv4':
      return normaliseIpv4(address)
    case 'ipv6':
      return normaliseIpv6(address)
    default:
      return normaliseName(address)
  }
}

/** Renders a parsed host back to `host:port`. */
export function formatHostPort(host: string, port: number): string {
  return `${host}:${port}`
}
