// One active probe, as lua-resty-healthcheck does it: a fresh connection, `GET <http_path>`
// with the configured headers and Host, only the status line matters; `tcp` only connects.
// Timeouts count as timeouts, any other socket error as a TCP failure.

import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { activeOutcome, type HealthchecksJson } from './config.js'
import type { Outcome } from './counters.js'

export interface ProbeTarget {
  host: string
  port: number
  /** Host header: the upstream's host_header, else the target host. */
  hostHeader: string
}

export function probe(hc: HealthchecksJson, target: ProbeTarget): Promise<Outcome | undefined> {
  const a = hc.active ?? {}
  const timeoutMs = Math.max(1, (a.timeout ?? 1) * 1000)
  const type = a.type ?? 'http'
  return new Promise((resolve) => {
    let settled = false
    const done = (o: Outcome | undefined) => {
      if (!settled) {
        settled = true
        resolve(o)
      }
    }
    if (type === 'tcp') {
      const socket = net.connect({ host: target.host, port: target.port })
      socket.setTimeout(timeoutMs, () => {
        socket.destroy()
        done('timeout')
      })
      socket.once('connect', () => {
        socket.destroy()
        done('success')
      })
      socket.once('error', () => done('tcp_failure'))
      return
    }
    const headers: Record<string, string> = { host: a.headers?.['host']?.[0] ?? target.hostHeader }
    for (const [name, values] of Object.entries(a.headers ?? {})) {
      if (name.toLowerCase() !== 'host' && values.length > 0) headers[name] = values.join(', ')
    }
    const secure = type === 'https' || type === 'grpcs'
    const mod = secure ? https : http
    const req = mod.request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: a.http_path ?? '/',
      headers,
      agent: false,
      timeout: timeoutMs,
      ...(secure
        ? { rejectUnauthorized: a.https_verify_certificate !== false, servername: a.https_sni ?? target.hostHeader.replace(/:\d+$/, '') }
        : {}),
    })
    req.once('response', (res) => {
      res.destroy()
      done(activeOutcome(hc, res.statusCode ?? 0))
    })
    req.once('timeout', () => {
      req.destroy()
      done('timeout')
    })
    req.once('error', () => done('tcp_failure'))
    req.end()
  })
}
