// The gateway's configuration: the control plane's settings plus the data plane listeners.
// The only module of this app that reads process.env.

import { loadControlPlaneConfig, type ControlPlaneConfig } from '@switchyard/control-plane'
import { parseCooldown, proxyLimitsFrom, type ProxyLimits } from '@switchyard/data-plane'
import { parseListen, type Listen } from '@switchyard/server'

export interface GatewayConfig extends ControlPlaneConfig {
  proxyListen: Listen | undefined
  statusListen: Listen | undefined
  /** Half-open recovery cooldown for passive-only upstreams, ms (0 = off). */
  halfOpenMs: number
  /** Client body/header limits and timeouts of the proxy (KONG_NGINX_HTTP_*). */
  proxyLimits: ProxyLimits
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return {
    ...loadControlPlaneConfig(env),
    proxyListen: parseListen(env['KONG_PROXY_LISTEN'], '0.0.0.0:8000'),
    statusListen: parseListen(env['KONG_STATUS_LISTEN'], '127.0.0.1:8100'),
    halfOpenMs: parseCooldown(env['SWITCHYARD_HALF_OPEN_COOLDOWN_MS']),
    proxyLimits: proxyLimitsFrom(env),
  }
}
