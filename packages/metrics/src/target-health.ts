// Rows of kong_upstream_target_health, computed at scrape time like Kong's exporter: one row per
// target address, whose state is `healthchecks_off` when the upstream has no checks (or the
// target weight is 0), `dns_error` when the target name does not resolve (address ""), else the
// shared state. Kong balances DNS-resolved addresses; we balance one address per target, so
// the address is the target's host resolved once (cached briefly so scrapes stay cheap).

import { lookup as dnsLookup } from 'node:dns/promises'
import net from 'node:net'

export const TARGET_HEALTH_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const
export type TargetHealthState = (typeof TARGET_HEALTH_STATES)[number]

export interface TargetHealthRow {
  upstream: string
  /** The target as configured (`host:port`). */
  target: string
  /** Resolved `ip:port`, or "" when the name does not resolve. */
  address: string
  state: TargetHealthState
}

/** One upstream as a scrape sees it: where its targets' states come from is the caller's. */
export interface UpstreamHealthInput {
  name: string
  checksEnabled: boolean
  targets: readonly { target: string; weight: number; status: 'healthy' | 'unhealthy' }[]
}

/** Kong's default target port when a target string has none. */
const DEFAULT_TARGET_PORT = 8000
const POSITIVE_TTL_MS = 30_000
const NEGATIVE_TTL_MS = 5_000
const LOOKUP_TIMEOUT_MS = 1_000

export function splitTarget(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const close = target.indexOf(']')
    const port = target.slice(close + 1).replace(/^:/, '')
    return { host: target.slice(1, close), port: port ? Number(port) : DEFAULT_TARGET_PORT }
  }
  const colon = target.lastIndexOf(':')
  if (colon > 0 && target.indexOf(':') === colon) {
    return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) }
  }
  return { host: target, port: DEFAULT_TARGET_PORT }
}

function joinAddress(ip: string, port: number): string {
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`
}

export type LookupFn = (host: string) => Promise<{ address: string }>

/** Resolves target hosts to `ip:port`, caching answers (and failures, for less long). */
export class AddressResolver {
  private readonly cache = new Map<string, { ip: string | undefined; until: number }>()

  constructor(
    private readonly lookup: LookupFn = (h) => dnsLookup(h),
    private readonly now: () => number = Date.now
  ) {}

  async address(target: string): Promise<string | undefined> {
    const { host, port } = splitTarget(target)
    if (net.isIP(host)) return joinAddress(host, port)
    const hit = this.cache.get(host)
    if (hit && hit.until > this.now()) return hit.ip === undefined ? undefined : joinAddress(hit.ip, port)
    let ip: string | undefined
    try {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('dns timeout')), LOOKUP_TIMEOUT_MS)
      })
      ip = (await Promise.race([this.lookup(host), timeout]).finally(() => clearTimeout(timer))).address
    } catch {
      ip = undefined
    }
    this.cache.set(host, { ip, until: this.now() + (ip === undefined ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS) })
    return ip === undefined ? undefined : joinAddress(ip, port)
  }
}

export async function targetHealthRows(
  upstreams: Iterable<UpstreamHealthInput>,
  resolver: AddressResolver
): Promise<TargetHealthRow[]> {
  const pending: Promise<TargetHealthRow>[] = []
  for (const u of upstreams) {
    for (const t of u.targets) {
      pending.push(
        resolver.address(t.target).then((address): TargetHealthRow => {
          if (address === undefined) return { upstream: u.name, target: t.target, address: '', state: 'dns_error' }
          const state: TargetHealthState = !u.checksEnabled || t.weight === 0 ? 'healthchecks_off' : t.status
          return { upstream: u.name, target: t.target, address, state }
        })
      )
    }
  }
  return Promise.all(pending)
}
