// The gateway's configuration: the control plane's settings plus the data plane listeners.
// The only module of this app that reads process.env.

import { loadControlPlaneConfig, shownConfiguration, type ControlPlaneConfig } from '@switchyard/control-plane'
import { parseCooldown, proxyLimitsFrom, proxyListeners, type CertificateChain, type ProxyLimits } from '@switchyard/data-plane'
import { parseListen, type Listen } from '@switchyard/server'

export interface GatewayConfig extends ControlPlaneConfig {
  proxyListen: Listen | undefined
  /** TLS proxy listeners (KONG_PROXY_LISTEN entries with `ssl`). */
  proxySslListen: Listen[]
  /** KONG_SSL_CERT / KONG_SSL_CERT_KEY; a self-signed certificate when undefined. */
  sslCertificate: CertificateChain | undefined
  statusListen: Listen | undefined
  /** Half-open recovery cooldown for passive-only upstreams, ms (0 = off). */
  halfOpenMs: number
  /** Client body/header limits and timeouts of the proxy (KONG_NGINX_HTTP_*). */
  proxyLimits: ProxyLimits
}

const DEFAULT_PROXY_LISTEN = '0.0.0.0:8000'

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return {
    ...loadControlPlaneConfig(env),
    configuration: shownConfiguration(env, env['KONG_PROXY_LISTEN'] ?? DEFAULT_PROXY_LISTEN),
    ...proxyListeners(env),
    statusListen: parseListen(env['KONG_STATUS_LISTEN'], '127.0.0.1:8100'),
    halfOpenMs: parseCooldown(env['SWITCHYARD_HALF_OPEN_COOLDOWN_MS']),
    proxyLimits: proxyLimitsFrom(env),
  }
}
