// How upstream answers of every framing reach the client through the proxy, now that the
// proxy speaks HTTP/1.1 to upstreams itself: bodiless answers (HEAD, 204, 304), informational
// answers, chunked bodies with trailers, bodies read until close, large bodies, and the
// request side (Expect, no body, a streamed body). Each case then sends another request on the
// same connections, so a framing slip would show as a desynchronised next answer.

import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, test } from 'node:test'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

interface Seen {
  head: string
  body: string
}

/**
 * A raw upstream: reads each request (head, then a Content-Length or chunked body), records
 * it and writes `answer(path)` verbatim; `close` answers end the connection.
 */
async function rawUpstream(answer: (path: string, method: string) => { text: string; close?: boolean }) {
  const seen: Seen[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) return
        const head = buf.subarray(0, end).toString('latin1')
        const length = /\r\ncontent-length: *(\d+)/i.exec(head)
        let bodyEnd: number
        let body: string
        if (length) {
          bodyEnd = end + 4 + Number(length[1])
          if (buf.length < bodyEnd) return
          body = buf.subarray(end + 4, bodyEnd).toString()
        } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const last = buf.indexOf('\r\n0\r\n\r\n', end)
          if (last === -1) return
          bodyEnd = last + 7
          body = ''
          let at = end + 4
          for (;;) {
            const lineEnd = buf.indexOf('\r\n', at)
            const size = parseInt(buf.subarray(at, lineEnd).toString(), 16)
            if (size === 0) break
            body += buf.subarray(lineEnd + 2, lineEnd + 2 + size).toString()
            at = lineEnd + 2 + size + 2
          }
        } else {
          bodyEnd = end + 4
          body = ''
        }
        buf = buf.subarray(bodyEnd)
        seen.push({ head, body })
        const [method = '', path = ''] = head.split(' ')
        const a = answer(path, method)
        if (a.close) socket.end(a.text)
        else socket.write(a.text)
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    seen,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}

const ANSWERS: Record<string, { text: string; close?: boolean }> = {
  '/head': { text: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Kind: head\r\n\r\n' },
  '/no-content': { text: 'HTTP/1.1 204 No Content\r\nX-Kind: 204\r\n\r\n' },
  '/not-modified': { text: 'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n' },
  '/early-hints': { text: 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal' },
  '/chunked': { text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n' },
  '/until-close': { text: 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until the upstream closes', close: true },
  '/large': { text: `HTTP/1.1 200 OK\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'L'.repeat(1024 * 1024)}` },
}
const OK = { text: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }

const up = await rawUpstream((path) => ANSWERS[path] ?? OK)
const service = fx.service({ name: 'raw', host: '127.0.0.1', port: up.port })
const streamedRoute = fx.route(service, { name: 'streamed', paths: ['/streamed'], request_buffering: false })
const route = fx.route(service, { name: 'all', paths: ['/'] })
const proxy: TestProxy = await startTestProxy(snapshotOf({ services: [service], routes: [route, streamedRoute] }))
after(async () => {
  await proxy.close()
  await up.close()
})

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
after(() => agent.destroy())

/** One request through the proxy on the client's single kept-alive connection. */
function request(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | string[] } = {}
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; trailers: NodeJS.Dict<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${proxy.url}${path}`, { method, agent, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), trailers: res.trailers })
      )
    })
    req.on('error', reject)
    const body = opts.body
    if (Array.isArray(body)) for (const part of body) req.write(part)
    else if (body !== undefined) req.write(body)
    req.end()
  })
}

/** The next request on the same connections still gets its own answer. */
async function inStep(): Promise<void> {
  const r = await request('GET', '/next')
  assert.equal(r.status, 200)
  assert.equal(r.body, 'ok')
}

test('HEAD: the length is passed on, no body is expected or sent', async () => {
  const r = await request('HEAD', '/head')
  assert.equal(r.status, 200)
  assert.equal(r.headers['content-length'], '10')
  assert.equal(r.headers['x-kind'], 'head')
  assert.equal(r.body, '')
  await inStep()
})

test('204 and 304 carry no body', async () => {
  const noContent = await request('GET', '/no-content')
  assert.equal(noContent.status, 204)
  assert.equal(noContent.headers['x-kind'], '204')
  assert.equal(noContent.body, '')
  await inStep()
  const notModified = await request('GET', '/not-modified', { headers: { 'if-none-match': '"v1"' } })
  assert.equal(notModified.status, 304)
  assert.equal(notModified.headers['etag'], '"v1"')
  await inStep()
})

test('an informational answer before the response is skipped', async () => {
  const r = await request('GET', '/early-hints')
  assert.equal(r.status, 200)
  assert.equal(r.body, 'final')
  await inStep()
})

test('a chunked body with extensions and trailers arrives whole', async () => {
  const r = await request('GET', '/chunked')
  assert.equal(r.status, 200)
  assert.equal(r.body, 'hello, world')
  await inStep()
})

test('an HTTP/1.0 body read until the upstream closes arrives whole', async () => {
  const r = await request('GET', '/until-close')
  assert.equal(r.status, 200)
  assert.equal(r.body, 'read until the upstream closes')
  await inStep()
})

test('a 1 MiB body arrives whole', async () => {
  const r = await request('GET', '/large')
  assert.equal(r.body.length, 1024 * 1024)
  assert.ok(/^L+$/.test(r.body))
  await inStep()
})

test('Expect: 100-continue is answered by the proxy; the upstream gets the body without it', async () => {
  const r = await request('POST', '/expect', { headers: { expect: '100-continue', 'content-type': 'text/plain' }, body: 'after continue' })
  assert.equal(r.status, 200)
  const s = up.seen.at(-1)!
  assert.match(s.head, /^POST \/expect HTTP\/1\.1\r\n/)
  assert.doesNotMatch(s.head, /\r\nexpect:/i)
  assert.equal(s.body, 'after continue')
  await inStep()
})

test('a POST without a body says Content-Length: 0 upstream', async () => {
  const r = await request('POST', '/empty')
  assert.equal(r.status, 200)
  assert.match(up.seen.at(-1)!.head, /\r\ncontent-length: 0(\r\n|$)/i)
  await inStep()
})

test('a chunked request body on a route without buffering is streamed chunked', async () => {
  const r = await request('POST', '/streamed', { body: ['part one, ', 'part two'] })
  assert.equal(r.status, 200)
  const s = up.seen.at(-1)!
  assert.match(s.head, /\r\ntransfer-encoding: chunked/i)
  assert.equal(s.body, 'part one, part two')
  await inStep()
})
