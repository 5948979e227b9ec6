import { startUpstream } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { Readable } from 'node:stream'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { IdleSweep } from './idle-sweep.js'
import { KEEP_ALIVE_MS, OriginPool } from './origin-pool.js'
import { exchange } from './test-fixtures.js'
import type { UpstreamHandler } from './upstream-connection.js'

/** A raw TCP server answering each request (read up to its blank line) with `answer(n)`. */
async function rawServer(answer: (n: number, socket: net.Socket) => string | undefined) {
  let connections = 0
  let requests = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let buf = ''
    socket.on('data', (d) => {
      buf += d.toString('latin1')
      let end: number
      while ((end = buf.indexOf('\r\n\r\n')) !== -1) {
        buf = buf.slice(end + 4)
        const out = answer(++requests, socket)
        if (out !== undefined) socket.write(out)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get connections() {
      return connections
    },
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}

const pools: OriginPool[] = []
after(() => {
  for (const p of pools) p.destroy()
})
function poolTo(port: number, opts: { readMs?: number; connectMs?: number; now?: () => number } = {}): OriginPool {
  const sweep = opts.readMs ? new IdleSweep(opts.readMs) : undefined
  const pool = new OriginPool({ host: '127.0.0.1', port, connectMs: opts.connectMs ?? 1000 }, sweep, opts.now)
  pools.push(pool)
  return pool
}

/** Dispatches and records what the handler sees; `accept` decides what onData returns. */
function recorder(pool: OriginPool, path: string, accept: (n: number) => boolean = () => true) {
  const r = {
    chunks: [] as Buffer[],
    status: 0,
    done: false,
    err: undefined as (Error & { code?: string }) | undefined,
    abort: undefined as unknown as (err?: Error) => void,
    resume: undefined as unknown as () => void,
    finished: undefined as unknown as Promise<void>,
  }
  r.finished = new Promise<void>((resolve) => {
    const handler: UpstreamHandler = {
      onConnect: (abort) => void (r.abort = abort),
      onHeaders: (status, _h, resume) => ((r.status = status), (r.resume = resume), true),
      onData: (c) => (r.chunks.push(c), accept(r.chunks.length)),
      onComplete: () => ((r.done = true), resolve()),
      onError: (e) => ((r.err = e), resolve()),
    }
    pool.dispatch({ method: 'GET', path, headers: ['host', 'x'], body: null }, handler)
  })
  return r
}

describe('connection reuse', () => {
  test('sequential requests share one connection; concurrent ones open more', async () => {
    let connections = 0
    const up = await startUpstream('reuse')
    up.server.on('connection', () => connections++)
    try {
      const pool = poolTo(up.port)
      for (let i = 0; i < 5; i++) assert.equal((await exchange(pool, { path: `/${i}` })).body, 'reuse')
      assert.equal(connections, 1)
      await Promise.all([1, 2, 3].map((i) => exchange(pool, { path: `/c${i}` })))
      assert.equal(connections, 3)
      assert.deepEqual(pool.stats, { running: 0, idle: 3 })
    } finally {
      await up.close()
    }
  })

  test("an idle connection is closed before the server's keep-alive hint runs out", async () => {
    let clock = 0
    const up = await startUpstream('hinted')
    up.server.keepAliveTimeout = 4000 // Node answers Keep-Alive: timeout=4
    try {
      const pool = poolTo(up.port, { now: () => clock })
      await exchange(pool, { path: '/' })
      assert.equal(pool.stats.idle, 1)
      clock = 2000
      pool.expireIdle()
      assert.equal(pool.stats.idle, 1, 'kept within the hint less the margin')
      clock = 2600
      pool.expireIdle()
      assert.equal(pool.stats.idle, 0)
      assert.equal((await exchange(pool, { path: '/' })).body, 'hinted')
    } finally {
      await up.close()
    }
  })

  test('without a hint an idle connection lives KEEP_ALIVE_MS', async () => {
    let clock = 0
    const up = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    try {
      const pool = poolTo(up.port, { now: () => clock })
      await exchange(pool, { path: '/' })
      clock = KEEP_ALIVE_MS - 1
      pool.expireIdle()
      assert.equal(pool.stats.idle, 1)
      clock = KEEP_ALIVE_MS
      pool.expireIdle()
      assert.equal(pool.stats.idle, 0)
    } finally {
      await up.close()
    }
  })

  test('Connection: close, HTTP/1.0 and bytes after the response each end the connection', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA',
    ]
    for (const answer of answers) {
      const up = await rawServer(() => answer)
      try {
        const pool = poolTo(up.port)
        assert.equal((await exchange(pool, { path: '/' })).body, 'ok')
        assert.equal((await exchange(pool, { path: '/' })).body, 'ok')
        assert.equal(up.connections, 2, answer)
      } finally {
        await up.close()
      }
    }
  })

  test('after a body sent with a method that carries none, the connection is not reused', async () => {
    const up = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    try {
      const pool = poolTo(up.port)
      await exchange(pool, { method: 'GET', path: '/', headers: ['host', 'x'], body: Buffer.from('ignored?') })
      assert.equal(pool.stats.idle, 0)
      await exchange(pool, { method: 'POST', path: '/', body: Buffer.from('carried') })
      assert.equal(pool.stats.idle, 1)
      await exchange(pool, { method: 'GET', path: '/' })
      assert.equal(pool.stats.idle, 1)
      assert.equal(up.connections, 2)
    } finally {
      await up.close()
    }
  })

  test('a server closing an idle connection is noticed; the next request opens another', async () => {
    const up = await rawServer((_n, socket) => {
      setTimeout(() => socket.end(), 20)
      return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
    })
    try {
      const pool = poolTo(up.port)
      await exchange(pool, { path: '/' })
      await sleep(100)
      assert.equal(pool.stats.idle, 0)
      assert.equal((await exchange(pool, { path: '/' })).body, 'ok')
      assert.equal(up.connections, 2)
    } finally {
      await up.close()
    }
  })

  test('a repeatable request on a kept-alive connection the server just closed goes once more on a new one', async () => {
    // Each connection answers its first request and drops the second unanswered (the
    // server's idle timeout racing the request).
    const perSocket = new WeakMap<net.Socket, number>()
    const up = await rawServer((_n, socket) => {
      const n = (perSocket.get(socket) ?? 0) + 1
      perSocket.set(socket, n)
      if (n === 1) return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
      socket.destroy()
      return undefined
    })
    try {
      const pool = poolTo(up.port)
      await exchange(pool, { path: '/' })
      assert.equal((await exchange(pool, { path: '/' })).body, 'ok', 'GET sent again')
      assert.equal(up.connections, 2)
      assert.equal((await exchange(pool, { method: 'PUT', path: '/', body: Buffer.from('x') })).body, 'ok', 'PUT sent again')
      assert.equal(up.connections, 3)
      // Not repeatable: a POST fails, as the upstream's fault, and is not sent twice.
      await assert.rejects(exchange(pool, { method: 'POST', path: '/', body: Buffer.from('x') }), (err: Error & { code?: string }) =>
        ['SWITCHYARD_UPSTREAM_CLOSED', 'ECONNRESET', 'EPIPE'].includes(err.code ?? '')
      )
      assert.equal(up.connections, 3)
    } finally {
      await up.close()
    }
  })

  test('a body read until close completes at the close', async () => {
    const up = await rawServer((_n, socket) => {
      socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close')
      return undefined
    })
    try {
      const r = await exchange(poolTo(up.port), { path: '/' })
      assert.equal(r.body, 'until close')
    } finally {
      await up.close()
    }
  })
})

describe('request bodies and heads', () => {
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = []
  let up: Awaited<ReturnType<typeof startUpstream>>
  const ready = startUpstream('bodies', (req, res, body) => {
    seen.push({ headers: req.headers, body })
    res.end('ok')
  }).then((u) => (up = u))
  after(() => up.close())

  test('a buffered body goes with its own Content-Length; Expect is not forwarded', async () => {
    await ready
    const pool = poolTo(up.port)
    await exchange(pool, {
      method: 'POST',
      path: '/b',
      headers: ['host', 'x', 'content-length', '999', 'expect', '100-continue', 'x-a', 'a'],
      body: Buffer.from('hello'),
    })
    const s = seen.at(-1)!
    assert.equal(s.body, 'hello')
    assert.equal(s.headers['content-length'], '5')
    assert.equal(s.headers['expect'], undefined)
    assert.equal(s.headers['x-a'], 'a')
  })

  test('a streamed body without a length is sent chunked; with one, as it is', async () => {
    await ready
    const pool = poolTo(up.port)
    await exchange(pool, { method: 'POST', path: '/s', body: Readable.from([Buffer.from('one,'), Buffer.from('two')]) })
    assert.equal(seen.at(-1)!.body, 'one,two')
    assert.equal(seen.at(-1)!.headers['transfer-encoding'], 'chunked')
    await exchange(pool, {
      method: 'POST',
      path: '/s',
      headers: ['host', 'x', 'content-length', '7'],
      body: Readable.from([Buffer.from('one,'), Buffer.from('two')]),
    })
    assert.equal(seen.at(-1)!.body, 'one,two')
    assert.equal(seen.at(-1)!.headers['transfer-encoding'], undefined)
    assert.equal(seen.at(-1)!.headers['content-length'], '7')
  })

  test('a header that would break the framing fails the request and sends nothing', async () => {
    await ready
    const pool = poolTo(up.port)
    const before = seen.length
    for (const headers of [['x-a', 'a\r\nx-b: smuggled'], ['x-a\r\nx-b', 'b'], ['x:a', 'b']]) {
      await assert.rejects(exchange(pool, { path: '/h', headers }), { code: 'SWITCHYARD_BAD_REQUEST_HEADER' })
    }
    await assert.rejects(exchange(pool, { path: '/h x' }), { code: 'SWITCHYARD_BAD_REQUEST_HEADER' })
    assert.equal(seen.length, before)
    assert.equal((await exchange(pool, { path: '/after' })).body, 'ok')
  })

  test('text the latin1 head would turn into a line break, and framing headers, fail the request', async () => {
    await ready
    const pool = poolTo(up.port)
    const before = seen.length
    // U+010D and U+010A are written as the bytes CR and LF by a latin1 write.
    const bad: string[][] = [
      ['x-a', 'a\u010d\u010ax-b: smuggled'],
      ['x-a', 'a\u0100'],
      ['x-a', 'bell\x07'],
      ['x a', 'b'],
      ['x-\u010d\u010ab', 'b'],
      ['transfer-encoding', 'chunked'],
    ]
    for (const headers of bad) {
      await assert.rejects(exchange(pool, { method: 'POST', path: '/h', headers, body: Buffer.from('0\r\n\r\n') }), {
        code: 'SWITCHYARD_BAD_REQUEST_HEADER',
      })
    }
    for (const path of ['/\u010d\u010ax-b: smuggled', '/a\tb', '/\u3042']) {
      await assert.rejects(exchange(pool, { path }), { code: 'SWITCHYARD_BAD_REQUEST_HEADER' })
    }
    assert.equal(seen.length, before)
    // Latin1 text itself goes as it is.
    await exchange(pool, { path: '/latin1', headers: ['host', 'x', 'x-a', 'caf\xe9'] })
    assert.equal(seen.at(-1)!.headers['x-a'], 'caf\xe9')
  })

  test('a streamed body longer or shorter than its Content-Length fails, and nothing extra is sent', async () => {
    const got: string[] = []
    const raw = net.createServer((socket) => {
      socket.on('data', (d) => got.push(d.toString('latin1')))
      socket.on('error', () => {})
    })
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r))
    try {
      const pool = poolTo((raw.address() as net.AddressInfo).port, { readMs: 500 })
      const long = Readable.from([Buffer.from('one,'), Buffer.from('two'), Buffer.from('GET /smuggled HTTP/1.1\r\n\r\n')])
      await assert.rejects(
        exchange(pool, { method: 'POST', path: '/long', headers: ['host', 'x', 'content-length', '7'], body: long }),
        { code: 'SWITCHYARD_REQUEST_LENGTH_MISMATCH' }
      )
      const short = Readable.from([Buffer.from('one')])
      await assert.rejects(
        exchange(pool, { method: 'POST', path: '/short', headers: ['host', 'x', 'content-length', '7'], body: short }),
        { code: 'SWITCHYARD_REQUEST_LENGTH_MISMATCH' }
      )
      await sleep(20)
      assert.ok(!got.join('').includes('smuggled'), got.join(''))
      assert.equal(pool.stats.idle, 0)
    } finally {
      await new Promise<void>((r) => raw.close(() => r()))
    }
  })

  test('no body: Content-Length 0 for methods that carry one, and a stray length is not sent', async () => {
    await ready
    const pool = poolTo(up.port)
    await exchange(pool, { method: 'POST', path: '/n' })
    assert.equal(seen.at(-1)!.headers['content-length'], '0')
    await exchange(pool, { method: 'GET', path: '/n' })
    assert.equal(seen.at(-1)!.headers['content-length'], undefined)
    // A length said by a plugin with nothing to send would have the server wait for a body.
    const r = await exchange(pool, { method: 'GET', path: '/n', headers: ['host', 'x', 'content-length', '5'] })
    assert.equal(r.body, 'ok')
    assert.equal(seen.at(-1)!.headers['content-length'], undefined)
  })

  test('a streamed body that already ended (a retry of an empty request) is sent and the connection kept', async () => {
    await ready
    const pool = poolTo(up.port)
    const body = Readable.from([])
    body.resume()
    await new Promise((r) => body.once('end', r))
    const r = await exchange(pool, { method: 'POST', path: '/e', headers: ['host', 'x', 'content-length', '0'], body })
    assert.equal(r.body, 'ok')
    await sleep(10)
    assert.deepEqual(pool.stats, { running: 0, idle: 1 })
  })

  test("a request refused for its head leaves an idle connection's keep-alive expiry as it was", async () => {
    let clock = 0
    const hinted = await startUpstream('hinted')
    hinted.server.keepAliveTimeout = 4000
    try {
      const pool = poolTo(hinted.port, { now: () => clock })
      await exchange(pool, { path: '/' })
      clock = 2000
      await assert.rejects(exchange(pool, { path: '/', headers: ['x-a', 'a\r\nb: c'] }), { code: 'SWITCHYARD_BAD_REQUEST_HEADER' })
      clock = 2600
      pool.expireIdle()
      assert.equal(pool.stats.idle, 0, 'closed before the hint less the margin')
    } finally {
      await hinted.close()
    }
  })
})

describe('flow control and endings', () => {
  test('onData returning false pauses the socket until resume', async () => {
    const piece = 'x'.repeat(64 * 1024)
    const up = await startUpstream('big', async (_req, res) => {
      res.writeHead(200, { 'content-length': String(piece.length * 64) })
      for (let i = 0; i < 64; i++) if (!res.write(piece)) await new Promise((r) => res.once('drain', r))
      res.end()
    })
    try {
      let accepting = false
      const r = recorder(poolTo(up.port), '/', () => accepting)
      await sleep(150)
      const whilePaused = r.chunks.length
      assert.ok(whilePaused < 20, `${whilePaused} chunks arrived while paused`)
      assert.equal(r.done, false)
      accepting = true
      r.resume()
      await r.finished
      assert.equal(Buffer.concat(r.chunks).length, piece.length * 64)
      assert.equal(r.done, true)
    } finally {
      await up.close()
    }
  })

  test("a late resume from an earlier response does not resume the next request's paused socket", async () => {
    const piece = 'y'.repeat(16 * 1024)
    const up = await startUpstream('resume', async (req, res) => {
      if (req.url === '/small') return void res.end('small')
      res.writeHead(200, { 'content-length': String(piece.length * 64) })
      for (let i = 0; i < 64; i++) if (!res.write(piece)) await new Promise((r) => res.once('drain', r))
      res.end()
    })
    try {
      const pool = poolTo(up.port)
      // The first response ends while its handler has it paused (its last chunk returned false).
      const first = recorder(pool, '/small', () => false)
      await first.finished
      assert.equal(first.done, true)
      const next = recorder(pool, '/big', () => false)
      while (next.chunks.length === 0) await sleep(5)
      await sleep(20)
      const paused = next.chunks.length
      first.resume() // late: the connection now carries `next`, which is paused
      await sleep(100)
      assert.equal(next.chunks.length, paused, 'no chunk arrives while the handler has the socket paused')
      assert.equal(next.done, false)
    } finally {
      await up.close()
    }
  })

  test('a response paused by its reader is not timed out by the read timeout', async () => {
    const piece = 'z'.repeat(64 * 1024)
    const up = await startUpstream('slow reader', async (_req, res) => {
      res.writeHead(200, { 'content-length': String(piece.length * 32) })
      for (let i = 0; i < 32; i++) if (!res.write(piece)) await new Promise((r) => res.once('drain', r))
      res.end()
    })
    try {
      let accepting = false
      const r = recorder(poolTo(up.port, { readMs: 50 }), '/', () => accepting)
      while (r.chunks.length === 0) await sleep(5)
      await sleep(300)
      assert.equal(r.err, undefined, 'the reader is slow, not the upstream')
      accepting = true
      r.resume()
      await r.finished
      assert.equal(r.err, undefined)
      assert.equal(Buffer.concat(r.chunks).length, piece.length * 32)
    } finally {
      await up.close()
    }
  })

  test('an abort mid-response closes that connection; a late abort does not touch the next request', async () => {
    let connections = 0
    const up = await startUpstream('abort', (req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200)
        res.write('partial')
        return
      }
      res.end('fine')
    })
    up.server.on('connection', () => connections++)
    try {
      const pool = poolTo(up.port)
      const slow = recorder(pool, '/slow')
      while (slow.chunks.length === 0) await sleep(5)
      slow.abort()
      await slow.finished
      assert.equal(slow.err?.code, 'SWITCHYARD_ABORTED')
      assert.equal(pool.stats.idle, 0)
      const first = recorder(pool, '/fine')
      await first.finished
      const next = recorder(pool, '/fine')
      first.abort() // late: the connection now carries `next`
      await next.finished
      assert.equal(next.done, true)
      assert.equal(Buffer.concat(next.chunks).toString(), 'fine')
      assert.equal(connections, 2)
    } finally {
      await up.close()
    }
  })

  test('an answer that comes before the streamed body ended closes the connection', async () => {
    const up = await rawServer(() => 'HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n')
    try {
      const pool = poolTo(up.port)
      const body = new Readable({ read() {} })
      body.push('start')
      const r = await exchange(pool, { method: 'POST', path: '/', body })
      assert.equal(r.status, 413)
      assert.equal(pool.stats.idle, 0)
      body.push(null)
    } finally {
      await up.close()
    }
  })

  test('the upstream closing mid-body is an error, not an end', async () => {
    const up = await rawServer((_n, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')
      return undefined
    })
    try {
      await assert.rejects(exchange(poolTo(up.port), { path: '/' }), { code: 'SWITCHYARD_UPSTREAM_CLOSED' })
    } finally {
      await up.close()
    }
  })
})

describe('errors and timeouts', () => {
  test('nothing listening: the connect error code', async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    await assert.rejects(exchange(poolTo(port), { path: '/' }), { code: 'ECONNREFUSED' })
  })

  test('no head within the read timeout; then no body chunk within it', async () => {
    const up = await rawServer((n) => (n === 1 ? undefined : 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
    try {
      const pool = poolTo(up.port, { readMs: 100 })
      const started = performance.now()
      await assert.rejects(exchange(pool, { path: '/' }), { code: 'SWITCHYARD_HEADERS_TIMEOUT' })
      const took = performance.now() - started
      assert.ok(took >= 100 && took < 1000, `timed out after ${took} ms`)
      await assert.rejects(exchange(pool, { path: '/' }), { code: 'SWITCHYARD_BODY_TIMEOUT' })
    } finally {
      await up.close()
    }
  })

  test('a slow connect (here a TLS handshake) is the connect timeout, not the read timeout', async () => {
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    try {
      const port = (silent.address() as net.AddressInfo).port
      const pool = new OriginPool({ host: '127.0.0.1', port, connectMs: 300, tls: { rejectUnauthorized: false } }, new IdleSweep(50))
      pools.push(pool)
      const started = performance.now()
      await assert.rejects(exchange(pool, { path: '/' }), { code: 'SWITCHYARD_CONNECT_TIMEOUT' })
      assert.ok(performance.now() - started >= 290)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((r) => silent.close(() => r()))
    }
  })

  test('a malformed response fails the request and closes the connection', async () => {
    const up = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!')
    try {
      const pool = poolTo(up.port)
      await assert.rejects(exchange(pool, { path: '/' }), { code: 'SWITCHYARD_BAD_RESPONSE' })
      assert.deepEqual(pool.stats, { running: 0, idle: 0 })
    } finally {
      await up.close()
    }
  })

  test('a destroyed pool fails what runs on it and takes nothing new', async () => {
    const up = await rawServer(() => undefined)
    try {
      const pool = poolTo(up.port)
      const pending = exchange(pool, { path: '/' })
      await sleep(20)
      pool.destroy()
      await assert.rejects(pending, { code: 'SWITCHYARD_UPSTREAM_CLOSED' })
      await assert.rejects(exchange(pool, { path: '/' }), { code: 'SWITCHYARD_UPSTREAM_CLOSED' })
    } finally {
      await up.close()
    }
  })
})
