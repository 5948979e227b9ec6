// `GET /metrics` on the status listener (Kong's status_api), served through the status
// server's `extra` hook; other paths fall through to /status and the 404.

import { sendMetrics } from '@switchyard/metrics'
import type http from 'node:http'

export function metricsRoute(scrape: () => Promise<string>): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    scrape().then(
      (body) => sendMetrics(res, body, req.method === 'HEAD'),
      () => {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ message: 'An unexpected error occurred' }))
      }
    )
    return true
  }
}
