// Node endpoints: `GET /` (Kong's node information), `GET /status` (connection counters and
// database reachability, with Kong's `unit`/`scale` options) and `GET /endpoints`.

import type { ConnectionStats } from '@switchyard/metrics'
import os from 'node:os'
import type { AdminRouter } from '../http/dispatch.js'
import { KONG_VERSION, sendJson, sendMessage } from '../http/respond.js'
import type { AdminDeps } from '../endpoints/context.js'

/** Connection counters kept by whoever owns the listening servers. */
export interface ServerCounters {
  connections_accepted: number
  connections_active: number
  connections_handled: number
  connections_reading: number
  connections_writing: number
  connections_waiting: number
  total_requests: number
}

/** nginx stub_status names for the connection counters, as Kong's /status shows them. */
export function serverCounters(c: ConnectionStats): ServerCounters {
  return {
    connections_accepted: c.accepted,
    connections_active: c.active,
    connections_handled: c.handled,
    connections_reading: c.reading,
    connections_writing: c.writing,
    connections_waiting: c.waiting,
    total_requests: c.total,
  }
}

export interface NodeInfo {
  nodeId: string
  /** The configuration subset `GET /` shows (no secrets). */
  configuration: Record<string, unknown>
  counters(): ServerCounters
  /** Plugin names the node can run, with version and priority. */
  availablePlugins: Record<string, { version: string; priority: number }>
}

/** Names of plugins with at least one configured instance. */
/** The last list read, answered while the database is unreachable: `GET /` needs no database. */
const lastEnabled = new WeakMap<AdminDeps, string[]>()

async function enabledInCluster(deps: AdminDeps): Promise<string[]> {
  try {
    const rows = await deps.store.daos.plugins.all(deps.store.q)
    const names = [...new Set(rows.map((r) => String(r['name'])))].sort()
    lastEnabled.set(deps, names)
    return names
  } catch {
    return lastEnabled.get(deps) ?? []
  }
}

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

function formatBytes(bytes: number, unit: string | undefined, scale: number): string | number {
  if (unit === 'b' || unit === 'B') return bytes
  const u = (unit ?? 'm').toLowerCase()
  const value = bytes / UNITS[u]!
  return `${value.toFixed(scale)} ${u === 'k' ? 'KiB' : u === 'g' ? 'GiB' : 'MiB'}`
}

export function mountRoot(router: AdminRouter, deps: AdminDeps, node: NodeInfo): void {
  router.mount('/', {
    async GET(ctx) {
      sendJson(ctx.res, 200, {
        tagline: 'Welcome to kong',
        version: KONG_VERSION,
        edition: 'community',
        hostname: os.hostname(),
        node_id: node.nodeId,
        lua_version: 'switchyard (node ' + process.version + ')',
        timers: { running: 0, pending: 0 },
        pids: { master: process.pid, workers: [process.pid] },
        plugins: {
          available_on_server: node.availablePlugins,
          enabled_in_cluster: await enabledInCluster(deps),
        },
        configuration: node.configuration,
      })
    },
  })

  router.mount('/status', {
    async GET(ctx) {
      const unit = ctx.query['unit']
      if (unit !== undefined && !/^[bkmgBKMG]$/.test(unit)) {
        return sendMessage(ctx.res, 400, `invalid unit '${unit}' (expected 'k/K', 'm/M', or 'g/G')`)
      }
      const scale = Number.isInteger(Number(ctx.query['scale'])) ? Number(ctx.query['scale']) : 2
      const mem = process.memoryUsage()
      sendJson(ctx.res, 200, {
        memory: {
          lua_shared_dicts: {},
          workers_lua_vms: [
            { http_allocated_gc: formatBytes(mem.heapUsed, unit, scale), pid: process.pid },
          ],
        },
        server: node.counters(),
        database: { reachable: await deps.store.database.ping() },
      })
    },
  })

  router.mount('/endpoints', {
    async GET(ctx) {
      const data = [...new Set(router.paths.map((p) => p.replace(/:([A-Za-z_]+)/g, '{$1}')))].sort()
      sendJson(ctx.res, 200, { data })
    },
  })
}
