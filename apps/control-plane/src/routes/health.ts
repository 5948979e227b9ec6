// Health endpoints, after kong/api/routes/upstreams.lua: `GET /upstreams/{u}/health` (per
// target, newest first, Kong's shape; `?balancer_health=1` for the upstream as a whole) and
// `PUT /upstreams/{u}/targets/{t}[/{address}]/healthy|unhealthy` (POST too, for Kong 2.x
// scripts), which set the shared state every node follows. State comes from the health store
// shared by the cluster (Redis) or the process (memory), so every node answers the same.

import type { Entity } from '@switchyard/entities'
import { expandIpv6, isUuid, parseHost } from '@switchyard/entities'
import { budgetWindow } from '@switchyard/ai'
import { checksEnabled, type AiStateStore, type HealthStatus, type HealthStore, type HealthchecksJson } from '@switchyard/health'
import { lookup } from 'node:dns/promises'
import net from 'node:net'
import type { AdminDeps } from '../endpoints/context.js'
import { lookupEntity } from '../endpoints/lookup.js'
import type { AdminRouter, Ctx, Handler } from '../http/dispatch.js'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../http/pagination.js'
import { sendEmpty, sendJson, sendKongError, sendMessage } from '../http/respond.js'

type TargetHealth = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR'
const DNS_TIMEOUT_MS = 1000

interface Resolved {
  host: string
  port: number
  dns: string
  ip: string | undefined
}

/** One spelling per address: IPv6 fully expanded, brackets dropped. */
function canonicalIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '')
  return net.isIPv6(bare) ? (expandIpv6(bare) ?? bare) : bare
}

/** Resolves a target like Kong's balancer does, enough to report DNS_ERROR for bad names. */
async function resolve(target: string): Promise<Resolved> {
  const parsed = parseHost(target)
  const host = (parsed?.host ?? target).replace(/^\[|\]$/g, '')
  const port = parsed?.port ?? 8000
  if (net.isIP(host)) return { host, port, dns: net.isIPv6(host) ? 'AAAA' : 'A', ip: host }
  try {
    const r = await Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('dns server error: timeout')), DNS_TIMEOUT_MS)),
    ])
    return { host, port, dns: r.family === 6 ? 'AAAA' : 'A', ip: r.address }
  } catch (err) {
    const code = (err as { code?: string }).code
    return { host, port, dns: code === 'ENOTFOUND' ? 'dns server error: 3 name error' : String((err as Error).message), ip: undefined }
  }
}

/** Epoch ms as Kong prints timestamps: seconds with a millisecond fraction. */
const seconds = (ms: number): number => Math.round(ms) / 1000

/**
 * Extension: a target's AI-aware balancing state for its `data.ai` (null fields when nothing is
 * known): cooldown until/reason, the provider window last reported, budget used this minute.
 */
async function aiData(ai: AiStateStore, upstreamId: string, now: number) {
  const window = budgetWindow(now)
  const [states, usage] = await Promise.all([ai.states(upstreamId, now), ai.usage(upstreamId, window.start)])
  return (t: Entity) => {
    const target = String(t['target'])
    const st = states.get(target)
    const used = usage.get(target)
    const hasBudget = t['rpm'] != null || t['tpm'] != null
    return {
      cooldown_until: st?.cooldown ? seconds(st.cooldown.until) : null,
      cooldown_reason: st?.cooldown?.reason ?? null,
      remaining_share: st?.remaining?.share ?? null,
      remaining_requests: st?.remaining?.requests ?? null,
      remaining_tokens: st?.remaining?.tokens ?? null,
      remaining_reset: st?.remaining ? seconds(st.remaining.until) : null,
      budget:
        hasBudget || used
          ? {
              window_start: seconds(window.start),
              window_end: seconds(window.end),
              rpm: t['rpm'] ?? null,
              tpm: t['tpm'] ?? null,
              requests: used?.requests ?? 0,
              tokens: used?.tokens ?? 0,
              reserved: Math.max(0, used?.reserved ?? 0),
            }
          : null,
    }
  }
}

export function mountHealth(router: AdminRouter, deps: AdminDeps, store: HealthStore, nodeId: string, ai?: AiStateStore): void {
  const { upstreams, targets } = deps.store.daos
  const q = () => deps.store.q

  async function findUpstream(ctx: Ctx): Promise<Entity | undefined> {
    const found = await lookupEntity(upstreams, q(), ctx.params['upstream']!)
    if (!found.ok) {
      sendKongError(ctx.res, found.error)
      return undefined
    }
    if (!found.entity) sendMessage(ctx.res, 404, 'Not found')
    return found.entity
  }

  async function describe(upstream: Entity, rows: Entity[]) {
    const hc = upstream['healthchecks'] as HealthchecksJson | null
    const enabled = checksEnabled(hc)
    const states = enabled ? await store.states(String(upstream['id'])) : new Map()
    return Promise.all(
      rows.map(async (t) => {
        const weight = Number(t['weight'])
        const r = await resolve(String(t['target']))
        const status: HealthStatus = states.get(String(t['target']))?.status ?? 'healthy'
        const addressHealth: TargetHealth =
          !enabled || weight === 0 ? 'HEALTHCHECKS_OFF' : status === 'healthy' ? 'HEALTHY' : 'UNHEALTHY'
        const available = addressHealth === 'UNHEALTHY' ? 0 : weight
        return {
          target: t,
          resolved: r,
          health: (r.ip === undefined ? 'DNS_ERROR' : addressHealth) as TargetHealth,
          addressHealth,
          weight,
          available,
        }
      })
    )
  }

  router.mount('/upstreams/:upstream/health', {
    async GET(ctx) {
      const upstream = await findUpstream(ctx)
      if (!upstream) return
      const hc = upstream['healthchecks'] as HealthchecksJson | null
      const parent = { field: 'upstream', id: String(upstream['id']) }
      if (ctx.query['balancer_health'] === '1') {
        const rows = await targets.pageNewestFirst(q(), parent, 100_000, 0)
        const described = await describe(upstream, rows.data)
        const total = described.reduce((s, d) => s + d.weight, 0)
        const available = described.reduce((s, d) => s + (d.resolved.ip === undefined ? 0 : d.available), 0)
        const threshold = Number(hc?.threshold ?? 0)
        const healthy = total > 0 && (available / total) * 100 > threshold
        const balancerHealth = healthy ? 'HEALTHY' : 'UNHEALTHY'
        return sendJson(ctx.res, 200, {
          data: {
            id: upstream['id'],
            health: checksEnabled(hc) ? balancerHealth : 'HEALTHCHECKS_OFF',
            balancer_health: balancerHealth,
            details: {
              healthy,
              weight: { total, available, unavailable: total - available },
              hosts: described.map((d) => ({
                host: d.resolved.host,
                port: d.resolved.port,
                dns: d.resolved.dns,
                nodeWeight: d.weight,
                weight: { total: d.weight, available: d.available, unavailable: d.weight - d.available },
                addresses: d.resolved.ip === undefined ? {} : [{ ip: d.resolved.ip, port: d.resolved.port, weight: d.weight, healthy: d.addressHealth !== 'UNHEALTHY' }],
              })),
            },
          },
          next: null,
          node_id: nodeId,
        })
      }
      const rawSize = Number(ctx.query['size'] ?? DEFAULT_PAGE_SIZE)
      const size = Number.isInteger(rawSize) && rawSize > 0 ? Math.min(rawSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE
      const rawOffset = Number(ctx.query['offset'] ?? 0)
      const offset = Number.isInteger(rawOffset) && rawOffset > 0 ? rawOffset : 0
      const page = await targets.pageNewestFirst(q(), parent, size, offset)
      const described = await describe(upstream, page.data)
      const aiOf = ai ? await aiData(ai, String(upstream['id']), deps.now()).catch(() => undefined) : undefined
      const data = described.map((d) => ({
        ...d.target,
        health: d.health,
        data: {
          host: d.resolved.host,
          port: d.resolved.port,
          dns: d.resolved.dns,
          nodeWeight: d.weight,
          weight: { total: d.weight, available: d.available, unavailable: d.weight - d.available },
          addresses:
            d.resolved.ip === undefined
              ? {}
              : [{ ip: d.resolved.ip, port: d.resolved.port, weight: d.weight, health: d.addressHealth }],
          ...(aiOf ? { ai: aiOf(d.target) } : {}),
        },
      }))
      const body: Record<string, unknown> = { data, next: null, node_id: nodeId }
      if (page.more) {
        const next = String(offset + size)
        body['next'] = `/upstreams/${ctx.params['upstream']}/health?offset=${next}`
        body['offset'] = next
      }
      sendJson(ctx.res, 200, body)
    },
  })

  function setter(status: HealthStatus, withAddress: boolean): Handler {
    return async (ctx) => {
      const upstream = await findUpstream(ctx)
      if (!upstream) return
      const key = ctx.params['target']!
      const parent = { field: 'upstream', id: String(upstream['id']) }
      const target = isUuid(key)
        ? await targets.findBy(q(), 'id', key.toLowerCase(), parent)
        : /^[\x21-\x7e]+$/.test(key)
          ? await targets.findBy(q(), 'target', key, parent)
          : undefined
      if (!target) return sendMessage(ctx.res, 404, 'Not found')
      if (!checksEnabled(upstream['healthchecks'] as HealthchecksJson | null)) {
        return sendMessage(ctx.res, 400, `no healthchecker found for ${String(upstream['name'])}`)
      }
      if (withAddress) {
        // Targets are balanced as one address each; the address must be that target's.
        const r = await resolve(String(target['target']))
        // Normalised like targets (IPv6 expanded), so `[::1]:8192` matches its stored form.
        const given = parseHost(ctx.params['address']!)
        const port = given?.port ?? 8000
        const same = given !== undefined && r.ip !== undefined && canonicalIp(given.host) === canonicalIp(r.ip)
        if (!same || port !== r.port) return sendMessage(ctx.res, 404, 'Not found')
      }
      await store.set(String(upstream['id']), String(target['target']), status)
      sendEmpty(ctx.res, 204)
    }
  }

  for (const status of ['healthy', 'unhealthy'] as const) {
    const plain = setter(status, false)
    router.mount(`/upstreams/:upstream/targets/:target/${status}`, { PUT: plain, POST: plain })
    const withAddress = setter(status, true)
    router.mount(`/upstreams/:upstream/targets/:target/:address/${status}`, { PUT: withAddress, POST: withAddress })
  }
}
