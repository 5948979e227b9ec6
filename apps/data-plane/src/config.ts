// The data plane's configuration, from Kong's environment variable names plus ours.
// The only module of this app that reads process.env.

import { isOn, loadClusterTls, type ClusterTls } from '@switchyard/cluster'
import { parseLogLevel, type LevelName } from '@switchyard/log'
import { parseListen, parseListeners, type Listen } from '@switchyard/server'
import { parseProxyLimits, type ProxyLimits } from './proxy-limits.js'
import { parseSslCertificate } from './ssl-certificate-config.js'
import type { CertificateChain } from './tls-certificates.js'

export interface DataPlaneConfig {
  /** The plain HTTP proxy listener (the first KONG_PROXY_LISTEN entry without `ssl`). */
  proxyListen: Listen | undefined
  /** TLS proxy listeners (KONG_PROXY_LISTEN entries with `ssl`). */
  proxySslListen: Listen[]
  /** KONG_SSL_CERT / KONG_SSL_CERT_KEY; a self-signed certificate when undefined. */
  sslCertificate: CertificateChain | undefined
  statusListen: Listen | undefined
  /** host:port (or URL) of the control plane's cluster endpoints. */
  controlPlane: string
  redisUrl: string | undefined
  clusterToken: string
  /** The shared cluster certificate: the control plane must present it, and we present it back. */
  clusterTls: ClusterTls | undefined
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

/** The proxy's listeners and default certificate (shared with the gateway's config). */
export function proxyListeners(
  env: NodeJS.ProcessEnv
): Pick<DataPlaneConfig, 'proxyListen' | 'proxySslListen' | 'sslCertificate'> {
  const all = parseListeners(env['KONG_PROXY_LISTEN'], '0.0.0.0:8000')
  const plain = all.find((l) => !l.ssl)
  return {
    proxyListen: plain && { host: plain.host, port: plain.port },
    proxySslListen: all.filter((l) => l.ssl).map(({ host, port }) => ({ host, port })),
    sslCertificate: parseSslCertificate(env['KONG_SSL_CERT'], env['KONG_SSL_CERT_KEY']),
  }
}

export function loadDataPlaneConfig(env: NodeJS.ProcessEnv = process.env): DataPlaneConfig {
  // This entry point is only ever a data plane: a control_plane or traditional node started
  // here by mistake would proxy without an Admin API and follow a control plane it should be.
  const role = env['KONG_ROLE']
  if (role !== 'data_plane') {
    throw new Error(`KONG_ROLE must be data_plane for the data-plane entry point, got ${role === undefined ? 'nothing' : `'${role}'`}`)
  }
  const controlPlane = env['KONG_CLUSTER_CONTROL_PLANE']
  const clusterToken = env['SWITCHYARD_CLUSTER_TOKEN']
  if (!controlPlane) throw new Error('KONG_CLUSTER_CONTROL_PLANE is required for KONG_ROLE=data_plane')
  if (!clusterToken) throw new Error('SWITCHYARD_CLUSTER_TOKEN is required for KONG_ROLE=data_plane')
  const clusterTls = loadClusterTls(env['KONG_CLUSTER_CERT'], env['KONG_CLUSTER_CERT_KEY'])
  if (!clusterTls && !isOn(env['SWITCHYARD_CLUSTER_PLAIN_HTTP'])) {
    throw new Error('KONG_CLUSTER_CERT and KONG_CLUSTER_CERT_KEY are required for KONG_ROLE=data_plane (or SWITCHYARD_CLUSTER_PLAIN_HTTP=on)')
  }
  return {
    ...proxyListeners(env),
    statusListen: parseListen(env['KONG_STATUS_LISTEN'], '127.0.0.1:8100'),
    controlPlane,
    redisUrl: env['REDIS_URL'],
    clusterToken,
    clusterTls,
    cacheFile: env['SWITCHYARD_CACHE_FILE'] ?? './.data/data-plane-config.json',
    logLevel: parseLogLevel(env['KONG_LOG_LEVEL']),
    halfOpenMs: parseCooldown(env['SWITCHYARD_HALF_OPEN_COOLDOWN_MS']),
    proxyLimits: proxyLimitsFrom(env),
  }
}
