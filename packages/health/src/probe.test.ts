// One active probe against real servers on port 0: how the answer maps to an outcome (Kong's
// status lists, custom lists, ignored statuses, an unparsable answer), what the probe sends,
// and the socket cases — timeout, connection refused, TLS against a plain server, `tcp` type.

import assert from 'node:assert/strict'
import { createCertificate } from '@switchyard/server'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { TLSSocket } from 'node:tls'
import type { HealthchecksJson } from './config.js'
import { probe, type ProbeTarget } from './probe.js'

interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

/** An HTTP server answering `GET /status/<code>` with that code, recording every request. */
async function statusServer(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    const m = /^\/status\/(\d{3})$/.exec(req.url ?? '')
    res.writeHead(m ? Number(m[1]) : 200, { connection: 'close' })
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A raw TCP server: `onConnection` decides what (if anything) it ever answers. */
async function rawServer(onConnection: (s: net.Socket) => void): Promise<{ port: number; connections: () => number; received: () => string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let count = 0
  let received = ''
  const server = net.createServer((s) => {
    count++
    sockets.add(s)
    s.on('data', (d: Buffer) => (received += d.toString('latin1')))
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    onConnection(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A port with nobody listening (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

const at = (port: number, hostHeader = `127.0.0.1:${port}`): ProbeTarget => ({ host: '127.0.0.1', port, hostHeader })
const httpCheck = (path: string, extra: HealthchecksJson['active'] = {}): HealthchecksJson => ({
  active: { type: 'http', timeout: 1, http_path: path, ...extra },
})

describe('probe: http status mapping', () => {
  let srv: Awaited<ReturnType<typeof statusServer>>
  before(async () => {
    srv = await statusServer()
  })
  after(() => srv.close())

  // Kong's defaults: healthy [200, 302]; unhealthy [429, 404, 500, 501, 502, 503, 504, 505];
  // anything else is ignored (no outcome at all).
  const defaults: [number, string | undefined][] = [
    [200, 'success'],
    [302, 'success'],
    [201, undefined],
    [204, undefined],
    [301, undefined],
    [418, undefined],
    [429, 'http_failure'],
    [404, 'http_failure'],
    [500, 'http_failure'],
    [501, 'http_failure'],
    [502, 'http_failure'],
    [503, 'http_failure'],
    [504, 'http_failure'],
    [505, 'http_failure'],
    [400, undefined],
  ]
  for (const [status, expected] of defaults) {
    test(`default lists: ${status} → ${expected ?? 'ignored'}`, async () => {
      assert.equal(await probe(httpCheck(`/status/${status}`), at(srv.port)), expected)
    })
  }

  test('custom lists replace the defaults', async () => {
    const hc = httpCheck('/', {
      healthy: { http_statuses: [204] },
      unhealthy: { http_statuses: [418] },
    })
    const cases: [number, string | undefined][] = [
      [204, 'success'],
      [418, 'http_failure'],
      [200, undefined],
      [500, undefined],
    ]
    for (const [status, expected] of cases) {
      assert.equal(await probe({ active: { ...hc.active, http_path: `/status/${status}` } }, at(srv.port)), expected, String(status))
    }
  })

  test('sends GET <http_path> with the Host header and configured headers, one connection per probe', async () => {
    srv.seen.length = 0
    const hc = httpCheck('/status/200', { headers: { 'x-probe': ['a', 'b'], host: ['probe.example'] } })
    assert.equal(await probe(hc, at(srv.port, 'ignored.example')), 'success')
    assert.equal(await probe(httpCheck('/status/200'), at(srv.port, 'models.test:9000')), 'success')
    assert.equal(srv.seen.length, 2)
    const [first, second] = srv.seen
    assert.equal(first!.method, 'GET')
    assert.equal(first!.url, '/status/200')
    assert.equal(first!.headers['host'], 'probe.example', 'a configured host header wins')
    assert.equal(first!.headers['x-probe'], 'a, b')
    assert.equal(second!.headers['host'], 'models.test:9000')
    assert.equal(second!.headers['x-probe'], undefined)
  })

  test('http_path defaults to /', async () => {
    srv.seen.length = 0
    assert.equal(await probe({ active: { timeout: 1 } }, at(srv.port)), 'success')
    assert.equal(srv.seen[0]?.url, '/')
  })
})

describe('probe: socket outcomes', () => {
  test('a server that accepts but never answers is a timeout, after about active.timeout', async () => {
    const srv = await rawServer(() => {})
    try {
      const started = performance.now()
      const outcome = await probe(httpCheck('/', { timeout: 0.3 }), at(srv.port))
      const ms = performance.now() - started
      assert.equal(outcome, 'timeout')
      assert.ok(ms >= 250 && ms < 2000, `timed out after ${Math.round(ms)} ms (timeout 300 ms)`)
    } finally {
      await srv.close()
    }
  })

  test('connection refused is a TCP failure', async () => {
    const port = await closedPort()
    assert.equal(await probe(httpCheck('/'), at(port)), 'tcp_failure')
    assert.equal(await probe({ active: { type: 'tcp', timeout: 1 } }, at(port)), 'tcp_failure')
  })

  test('a connection closed before any answer is a TCP failure', async () => {
    const srv = await rawServer((s) => s.once('data', () => s.destroy()))
    try {
      assert.equal(await probe(httpCheck('/'), at(srv.port)), 'tcp_failure')
    } finally {
      await srv.close()
    }
  })

  test('an unparsable status line is an HTTP failure (status 0 in lua-resty-healthcheck)', async () => {
    const srv = await rawServer((s) => s.once('data', () => s.end('garbage\r\n\r\n')))
    try {
      assert.equal(await probe(httpCheck('/'), at(srv.port)), 'http_failure')
    } finally {
      await srv.close()
    }
  })

  test('https against a plain HTTP server fails the handshake: a TCP failure (no SNI for an IP)', async () => {
    const srv = await statusServer()
    const warnings: string[] = []
    const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.message)
    process.on('warning', onWarning)
    try {
      assert.equal(await probe({ active: { type: 'https', timeout: 1, https_verify_certificate: false } }, at(srv.port)), 'tcp_failure')
      assert.equal(srv.seen.length, 0, 'no HTTP request reached the server')
      await new Promise((r) => setImmediate(r))
      assert.deepEqual(warnings.filter((w) => w === 'DEP0123'), [], 'an IP address is never sent as TLS server name')
    } finally {
      process.off('warning', onWarning)
      await srv.close()
    }
  })

  test('tcp type: a successful connect is a success and nothing is sent', async () => {
    const srv = await rawServer(() => {})
    try {
      assert.equal(await probe({ active: { type: 'tcp', timeout: 1, http_path: '/never' } }, at(srv.port)), 'success')
      assert.equal(srv.connections(), 1)
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(srv.received(), '', 'a tcp probe sends no request')
    } finally {
      await srv.close()
    }
  })

  test("https probes present the upstream's client certificate to a server that requires one", async () => {
    const now = Date.now()
    const valid = { notBefore: now - 60_000, notAfter: now + 3_600_000 }
    const clientCa = createCertificate({ commonName: 'Probe Client CA', ca: true, ...valid })
    const client = createCertificate({ commonName: 'prober', ...valid, issuer: { commonName: 'Probe Client CA', key: clientCa.key } })
    const serverCert = createCertificate({ commonName: 'probed.test', ...valid })
    const seen: string[] = []
    const server = https.createServer(
      { cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: true, ca: clientCa.cert },
      (req, res) => {
        seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN))
        res.end('ok')
      }
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const port = (server.address() as net.AddressInfo).port
      const check: HealthchecksJson = { active: { type: 'https', timeout: 1, https_verify_certificate: false, http_path: '/' } }
      assert.equal(await probe(check, { ...at(port), clientCertificate: { cert: client.cert, key: client.key } }), 'success')
      assert.deepEqual(seen, ['prober'])
      assert.equal(await probe(check, at(port)), 'tcp_failure', 'refused without a client certificate')
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
