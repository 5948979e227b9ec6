// The data plane's configuration, from Kong's environment variable names plus ours.
// The only module of this app that reads process.env.

import { parseLogLevel, type LevelName } from '@switchyard/log'
import { parseListen, type Listen } from '@switchyard/server'
import { parseProxyLimits, type ProxyLimits } from './proxy-limits.js'

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
  /** Client body/header limits and timeouts (KONG_NGINX_HTTP_*). */
  proxyLimits: ProxyLimits
}

/** The proxy's client limits from Kong's nginx-injection variables. */
export function proxyLimitsFrom(env: NodeJS.ProcessEnv): ProxyLimits {
  return parseProxyLimits({
    clientMaxBodySize: env['KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE'],
    largeClientHeaderBuffers: env['KONG_NGINX_HTTP_LARGE_CLIENT_HEADER_BUFFERS'],
    clientHeaderTimeout: env['KONG_NGINX_HTTP_CLIENT_HEADER_TIMEOUT'],
    clientBodyTimeout: env['KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT'],
    keepaliveTimeout: env['KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT'],
  })
}

/** A non-negative number of ms; anything else means off. */
export function parseCooldown(value: string | undefined): number {
  const n = Number(value ?? 0)
  return Number.isFinite(n) && n > 0 ? n : 0
}

export function loadDataPlaneConfig(env: NodeJS.ProcessEnv = process.env): DataPlaneConfig {
  const controlPlane = env['KONG_CLUSTER_CONTROL_PLANE']
  const clusterToken = env['SWITCHYARD_CLUSTER_TOKEN']
  if (!controlPlane) throw new Error('KONG_CLUSTER_CONTROL_PLANE is required for KONG_ROLE=data_plane')
  if (!clusterToken) throw new Error('SWITCHYARD_CLUSTER_TOKEN is required for KONG_ROLE=data_plane')
  return {
    proxyListen: parseListen(env['KONG_PROXY_LISTEN'], '0.0.0.0:8000')!,
    statusListen: parseListen(env['KONG_STATUS_LISTEN'], '127.0.0.1:8100'),
    controlPlane,
    redisUrl: env['REDIS_URL'],
    clusterToken,
    cacheFile: env['SWITCHYARD_CACHE_FILE'] ?? './.data/data-plane-config.json',
    logLevel: parseLogLevel(env['KONG_LOG_LEVEL']),
    halfOpenMs: parseCooldown(env['SWITCHYARD_HALF_OPEN_COOLDOWN_MS']),
    proxyLimits: proxyLimitsFrom(env),
  }
}
