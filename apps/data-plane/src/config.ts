// The data plane's configuration, from Kong's environment variable names plus ours.
// The only module of this app that reads process.env.

import type { LevelName } from '@switchyard/log'

export interface Listen {
  host: string
  port: number
}

export interface DataPlaneConfig {
  proxyListen: Listen
  statusListen: Listen | undefined
  /** host:port (or URL) of the control plane's cluster endpoints. */
  controlPlane: string
  redisUrl: string | undefined
  clusterToken: string
  cacheFile: string
  logLevel: LevelName
  /** Half-open recovery cooldown for passive-only upstreams, ms (0 = off). */
  halfOpenMs: number
}

function parseListen(value: string | undefined, fallback: string): Listen | undefined {
  const text = (value ?? fallback).trim()
  if (text === 'off') return undefined
  const address = text.split(',')[0]!.trim().split(/\s+/)[0]!
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address)
  if (!m) throw new Error(`invalid listen address '${address}' (expected host:port)`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

/** A non-negative number of ms; anything else means off. */
export function parseCooldown(value: string | undefined): number {
  const n = Number(value ?? 0)
  return Number.isFinite(n) && n > 0 ? n : 0
}

const LEVELS: LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

export function loadDataPlaneConfig(env: NodeJS.ProcessEnv = process.env): DataPlaneConfig {
  const controlPlane = env['KONG_CLUSTER_CONTROL_PLANE']
  const clusterToken = env['SWITCHYARD_CLUSTER_TOKEN']
  if (!controlPlane) throw new Error('KONG_CLUSTER_CONTROL_PLANE is required for KONG_ROLE=data_plane')
  if (!clusterToken) throw new Error('SWITCHYARD_CLUSTER_TOKEN is required for KONG_ROLE=data_plane')
  const level = (env['KONG_LOG_LEVEL'] ?? 'info').toLowerCase()
  return {
    proxyListen: parseListen(env['KONG_PROXY_LISTEN'], '0.0.0.0:8000')!,
    statusListen: parseListen(env['KONG_STATUS_LISTEN'], '127.0.0.1:8100'),
    controlPlane,
    redisUrl: env['REDIS_URL'],
    clusterToken,
    cacheFile: env['SWITCHYARD_CACHE_FILE'] ?? './.data/data-plane-config.json',
    logLevel: (LEVELS as string[]).includes(level) ? (level as LevelName) : 'info',
    halfOpenMs: parseCooldown(env['SWITCHYARD_HALF_OPEN_COOLDOWN_MS']),
  }
}
