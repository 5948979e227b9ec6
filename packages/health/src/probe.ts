// One active probe, as lua-resty-healthcheck does it: a fresh connection, `GET <http_path>`
// with the configured headers and Host, only the status line matters; `tcp` only connects.
// Timeouts count as timeouts, an unparsable answer as an HTTP failure, any other socket
// error as a TCP failure.

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
  /** The upstream's client certificate, presented by https probes (as Kong's healthchecker). */
  clientCertificate?: { cert: string; key: string } | undefined
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
    // SNI carries names only (RFC 6066); an IP target gets none, as with nginx.
    const sni = a.https_sni ?? target.hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    const req = mod.request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: a.http_path ?? '/',
      headers,
      agent: false,
      timeout: timeoutMs,
      ...(secure
        ? {
            rejectUnauthorized: a.https_verify_certificate !== false,
            ...(net.isIP(sni) ? {} : { servername: sni }),
            ...(target.clientCertificate ?? {}),
          }
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
    // An unparsable answer is an HTTP failure in lua-resty-healthcheck (status 0), not a
    // socket error; node's parser reports it with an HPE_* code.
    req.once('error', (err: NodeJS.ErrnoException) => done(String(err.code ?? '').startsWith('HPE_') ? 'http_failure' : 'tcp_failure'))
    req.end()
  })
}
