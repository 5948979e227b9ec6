// End-to-end proxy behaviour over loopback: real upstream servers on port 0, a real proxy,
// real HTTP clients. Covers balancing, retries, errors, headers, streaming and WebSocket.

import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<UpstreamServer> {
  const u = await startUpstream(name, handler)
  cleanups.push(() => u.close())
  return u
}

async function proxyFor(...args: Parameters<typeof startTestProxy>): Promise<TestProxy> {
  const p = await startTestProxy(...args)
  cleanups.push(() => p.close())
  return p
}

/** A port with nothing listening: connections are refused. */
async function deadPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** One upstream entity with targets, a service pointing at it and a catch-all route. */
function balanced(upstreamInput: Record<string, unknown>, targets: Record<string, unknown>[], service: Record<string, unknown> = {}) {
  const u = fx.upstream({ name: 'models.test', ...upstreamInput })
  const ts = targets.map((t) => fx.target(u, t))
  const s = fx.service({ host: 'models.test', port: 80, ...service })
  const r = fx.route(s, { paths: ['/'] })
  return snapshotOf({ upstreams: [u], targets: ts, services: [s], routes: [r] })
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers })
  return { status: res.status, headers: res.headers, body: await res.text() }
}

describe('routing and errors', () => {
  test('no matching route is 404 with Kong message', async () => {
    const p = await proxyFor(snapshotOf({}))
    const r = await get(`${p.url}/anything`)
    assert.equal(r.status, 404)
    assert.deepEqual(JSON.parse(r.body), { message: 'no Route matched with those values' })
    assert.match(r.headers.get('content-type') ?? '', /application\/json/)
  })

  test('upstream without targets is 503 failure to get a peer', async () => {
    const p = await proxyFor(balanced({}, []))
    const r = await get(`${p.url}/v1/chat`)
    assert.equal(r.status, 503)
    assert.deepEqual(JSON.parse(r.body), { message: 'failure to get a peer from the ring-balancer' })
  })

  test('every target refusing connections is 502 with Kong message', async () => {
    const p = await proxyFor(balanced({}, [{ target: `127.0.0.1:${await deadPort()}` }], { retries: 1 }))
    const r = await get(`${p.url}/x`)
    assert.equal(r.status, 502)
    assert.deepEqual(JSON.parse(r.body), { message: 'An invalid response was received from the upstream server' })
  })

  test('read timeout is 504 with Kong message', async () => {
    const slow = await upstream('slow', (_req, res) => {
      const timer = setTimeout(() => res.end('late'), 3000)
      res.on('close', () => clearTimeout(timer))
    })
    const p = await proxyFor(balanced({}, [{ target: slow.address }], { read_timeout: 100, retries: 0 }))
    const r = await get(`${p.url}/x`)
    assert.equal(r.status, 504)
    assert.deepEqual(JSON.parse(r.body), { message: 'The upstream server is timing out' })
  })

  test('a service host that is no upstream is proxied directly', async () => {
    const direct = await upstream('direct')
    const s = fx.service({ host: '127.0.0.1', port: direct.port, path: '/base' })
    const route = fx.route(s, { paths: ['/api'] })
    const p = await proxyFor(snapshotOf({ services: [s], routes: [route] }))
    const r = await get(`${p.url}/api/models?x=1`)
    assert.equal(r.status, 200)
    assert.equal(r.body, 'direct')
    assert.equal(direct.requests.at(-1)!.url, '/base/models?x=1')
  })
})

describe('headers', () => {
  test('sets X-Forwarded-*, X-Real-IP, Via, latency headers and strips hop-by-hop', async () => {
    const u = await upstream('h', (_req, res) => {
      res.writeHead(200, { 'keep-alive': 'timeout=5', 'x-secret-hop': '1', connection: 'x-secret-hop' })
      res.end('ok')
    })
    const p = await proxyFor(balanced({}, [{ target: u.address }]))
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${p.url}/v1/chat`, {
        headers: { host: 'api.example.test:8443', connection: 'x-drop-me', 'x-drop-me': 'y', te: 'trailers', 'x-keep': 'k' },
      }, resolve)
      req.on('error', reject)
      req.end()
    })
    res.resume()
    const seen = u.requests.at(-1)!.headers
    assert.equal(seen['x-forwarded-for'], '127.0.0.1')
    assert.equal(seen['x-real-ip'], '127.0.0.1')
    assert.equal(seen['x-forwarded-proto'], 'http')
    assert.equal(seen['x-forwarded-host'], 'api.example.test')
    assert.equal(seen['x-forwarded-port'], String(p.port))
    assert.equal(seen['x-forwarded-path'], '/v1/chat')
    assert.equal(seen['x-keep'], 'k')
    assert.equal(seen['x-drop-me'], undefined)
    assert.equal(seen['te'], undefined)
    assert.equal(seen['host'], u.address)
    assert.equal(res.headers['via'], '1.1 kong/3.9.3')
    assert.match(String(res.headers['x-kong-upstream-latency']), /^\d+$/)
    assert.match(String(res.headers['x-kong-proxy-latency']), /^\d+$/)
    assert.equal(res.headers['x-secret-hop'], undefined)
  })
})

describe('request accounting', () => {
  test('request and response sizes count line, headers and body, as nginx does', async () => {
    const u = await upstream('sized')
    const ends: { requestBytes: number; responseBytes: number }[] = []
    const p = await proxyFor(balanced({}, [{ target: u.address }]), { onRequestEnd: (e) => ends.push(e) })
    const request = 'POST /v1/x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'
    const received = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = []
      const sock = net.connect(p.port, '127.0.0.1', () => sock.write(request))
      sock.on('data', (c: Buffer) => chunks.push(c))
      sock.on('end', () => resolve(Buffer.concat(chunks)))
      sock.on('error', reject)
    })
    assert.match(received.toString(), /^HTTP\/1\.1 200/)
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(ends.length, 1)
    assert.equal(ends[0]!.requestBytes, Buffer.byteLength(request))
    assert.equal(ends[0]!.responseBytes, received.length)
  })
})

describe('balancing', () => {
  test('weighted round-robin follows weights 3:1', async () => {
    const a = await upstream('a')
    const b = await upstream('b')
    const p = await proxyFor(balanced({}, [{ target: a.address, weight: 300 }, { target: b.address, weight: 100 }]))
    const counts: Record<string, number> = {}
    for (let i = 0; i < 200; i++) {
      const r = await get(`${p.url}/x`)
      counts[r.body] = (counts[r.body] ?? 0) + 1
    }
    assert.equal(counts['a'], 150)
    assert.equal(counts['b'], 50)
  })

  test('weight 0 gets no traffic', async () => {
    const a = await upstream('a')
    const z = await upstream('z')
    const p = await proxyFor(balanced({}, [{ target: a.address }, { target: z.address, weight: 0 }]))
    for (let i = 0; i < 20; i++) assert.equal((await get(`${p.url}/x`)).body, 'a')
    assert.equal(z.requests.length, 0)
  })

  test('consistent hashing on a header is sticky per key', async () => {
    const servers = await Promise.all(['a', 'b', 'c'].map((n) => upstream(n)))
    const p = await proxyFor(
      balanced({ hash_on: 'header', hash_on_header: 'x-user' }, servers.map((s) => ({ target: s.address })))
    )
    const seen = new Set<string>()
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) {
      const first = (await get(`${p.url}/x`, { 'x-user': user })).body
      seen.add(first)
      for (let i = 0; i < 5; i++) assert.equal((await get(`${p.url}/x`, { 'x-user': user })).body, first)
    }
    assert.ok(seen.size >= 2, 'keys spread over more than one target')
  })

  test('cookie hashing sets the cookie when absent', async () => {
    const a = await upstream('a')
    const p = await proxyFor(balanced({ hash_on: 'cookie', hash_on_cookie: 'sticky' }, [{ target: a.address }]))
    const r = await get(`${p.url}/x`)
    assert.match(r.headers.get('set-cookie') ?? '', /^sticky=[0-9a-f-]+; Path=\//)
    const again = await get(`${p.url}/x`, { cookie: 'sticky=abc' })
    assert.equal(again.headers.get('set-cookie'), null)
  })

  test('backup target serves only while no primary is usable', async () => {
    const primary = await upstream('primary')
    const backup = await upstream('backup')
    const p = await proxyFor(balanced({}, [{ target: primary.address }, { target: backup.address, backup: true }]))
    for (let i = 0; i < 5; i++) assert.equal((await get(`${p.url}/x`)).body, 'primary')
    const b = p.state.upstreamByName('models.test')!.balancer
    b.setHealth(primary.address, false)
    for (let i = 0; i < 5; i++) assert.equal((await get(`${p.url}/x`)).body, 'backup')
    b.setHealth(primary.address, true)
    for (let i = 0; i < 5; i++) assert.equal((await get(`${p.url}/x`)).body, 'primary')
  })

  test('least-connections steers new requests away from a target holding long streams', async () => {
    const holds: http.ServerResponse[] = []
    const a = await upstream('a', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: hold\n\n')
      holds.push(res)
    })
    const b = await upstream('b')
    const p = await proxyFor(balanced({ algorithm: 'least-connections' }, [{ target: a.address }, { target: b.address }]))
    // Open requests until one lands on a, where it stays open as a long stream.
    const open: http.ClientRequest[] = []
    for (let i = 0; i < 10 && holds.length < 1; i++) {
      await new Promise<void>((resolve) => {
        const req = http.get(`${p.url}/stream`, (res) => {
          res.once('data', () => resolve())
          res.on('end', () => resolve())
        })
        open.push(req)
      })
    }
    const counts: Record<string, number> = {}
    for (let i = 0; i < 10; i++) {
      const body = (await get(`${p.url}/x`)).body
      counts[body] = (counts[body] ?? 0) + 1
    }
    assert.equal(holds.length, 1)
    assert.equal(counts['b'], 10, 'all short requests go to the idle target')
    for (const h of holds) h.end()
    for (const r of open) r.destroy()
  })
})

describe('retries', () => {
  test('connect failures retry on untried targets and never repeat a failed one', async () => {
    const live = await upstream('live')
    const deads = [await deadPort(), await deadPort(), await deadPort()]
    const attempts: string[][] = []
    let current: string[] = []
    const p = await proxyFor(
      balanced({}, [...deads.map((d) => ({ target: `127.0.0.1:${d}` })), { target: live.address }]),
      {
        onAttempt: (o) => current.push(`${o.peer.host}:${o.peer.port}`),
        onRequestEnd: () => {
          attempts.push(current)
          current = []
        },
      }
    )
    for (let i = 0; i < 8; i++) {
      const r = await get(`${p.url}/x`)
      assert.equal(r.status, 200)
      assert.equal(r.body, 'live')
    }
    for (const tried of attempts) assert.equal(new Set(tried).size, tried.length, `repeated target in ${tried}`)
  })

  test('503 from one target is retried on another for a buffered request', async () => {
    const bad = await upstream('bad', (_req, res) => {
      res.writeHead(503)
      res.end('overloaded')
    })
    const good = await upstream('good')
    const p = await proxyFor(balanced({}, [{ target: bad.address }, { target: good.address }]))
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${p.url}/v1/chat`, { method: 'POST', body: '{"model":"m"}', headers: { 'content-type': 'application/json' } })
      assert.equal(res.status, 200)
      assert.equal(await res.text(), 'good')
    }
    assert.ok(bad.requests.length <= 6)
    assert.equal(good.requests.at(-1)!.body, '{"model":"m"}')
  })

  test('retries 0 answers with the first failure', async () => {
    const bad = await upstream('bad', (_req, res) => {
      res.writeHead(503)
      res.end('overloaded')
    })
    const p = await proxyFor(balanced({}, [{ target: bad.address }], { retries: 0 }))
    const r = await get(`${p.url}/x`)
    assert.equal(r.status, 503)
    assert.equal(r.body, 'overloaded')
  })
})

describe('streaming', () => {
  test('SSE chunks reach the client before the stream ends', async () => {
    const sse = await upstream('sse', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: one\n\n')
      setTimeout(() => {
        res.write('data: two\n\n')
        res.end()
      }, 400)
    })
    const p = await proxyFor(balanced({}, [{ target: sse.address }]))
    const started = performance.now()
    const times: number[] = []
    const chunks: string[] = []
    await new Promise<void>((resolve, reject) => {
      http.get(`${p.url}/v1/chat`, (res) => {
        res.on('data', (c: Buffer) => {
          times.push(performance.now() - started)
          chunks.push(c.toString())
        })
        res.on('end', () => resolve())
      }).on('error', reject)
    })
    assert.ok(chunks[0]!.includes('data: one'))
    assert.ok(times[0]! < 300, `first chunk after ${times[0]} ms`)
    assert.ok(times.at(-1)! >= 350, 'stream ended later')
  })

  test('a client that disconnects aborts the upstream request', async () => {
    let upstreamClosed!: () => void
    const closed = new Promise<void>((r) => (upstreamClosed = r))
    const s = await upstream('s', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: start\n\n')
      const timer = setInterval(() => res.write('data: tick\n\n'), 50)
      res.on('close', () => {
        clearInterval(timer)
        upstreamClosed()
      })
    })
    const p = await proxyFor(balanced({}, [{ target: s.address }]))
    await new Promise<void>((resolve) => {
      const req = http.get(`${p.url}/stream`, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
    })
    await closed
  })

  test('WebSocket echo through the proxy', async () => {
    const server = http.createServer()
    const wss = new WebSocketServer({ server })
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(async () => {
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    })
    const port = (server.address() as net.AddressInfo).port
    const p = await proxyFor(balanced({}, [{ target: `127.0.0.1:${port}` }]))
    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/ws`)
    await new Promise<void>((resolve, reject) => {
      ws.on('open', resolve)
      ws.on('error', reject)
    })
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())))
    ws.send('hello')
    assert.equal(await reply, 'echo:hello')
    ws.close()
  })
})
