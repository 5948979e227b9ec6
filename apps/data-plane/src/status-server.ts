// The data plane's status endpoint (KONG_STATUS_LISTEN): `GET /status` reports the applied
// config version and hash (compare with the control plane's to check convergence), whether
// Redis and the control plane are reachable, and the proxy's connection counters.

import http from 'node:http'
import type { ConfigState } from './config-state.js'

export interface StatusSources {
  state: ConfigState
  /** Reported `role`; the standalone gateway is `traditional`. Default `data_plane`. */
  role?: string
  redisConnected(): boolean
  controlPlaneReachable(): boolean
  /** Extra routes (e.g. /metrics) served by the same listener. */
  extra?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean
}

export function createStatusServer(src: StatusSources): http.Server {
  return http.createServer((req, res) => {
    if (src.extra?.(req, res)) return
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && (path === '/status' || path === '/status/')) {
      const body = JSON.stringify({
        role: src.role ?? 'data_plane',
        config_version: src.state.version,
        ...(src.state.epoch ? { config_epoch: src.state.epoch } : {}),
        config_hash: src.state.hash(),
        configuration_hash: src.state.hash(),
        redis: { connected: src.redisConnected() },
        control_plane: { reachable: src.controlPlaneReachable() },
      })
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(body)
      return
    }
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify({ message: 'Not found' }))
  })
}
