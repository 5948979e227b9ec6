// Paths, hosts and headers through the real proxy, over raw loopback sockets so nothing
// normalises the request on the client side: the router sees Kong's normalised path (dot
// segments, encoded dots and doubled slashes cannot reach a route the plain path would not),
// the upstream receives that normalised path, a Host with a port or a trailing dot matches as
// Kong matches it, and header values arrive byte for byte.

import { startUpstream, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, describe, test } from 'node:test'
import { fx, snapshotOf, startTestProxy, type TestProxy } from './test-fixtures.js'

const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function upstream(name: string): Promise<UpstreamServer> {
  const u = await startUpstream(name)
  cleanups.push(() => u.close())
  return u
}

async function proxy(...args: Parameters<typeof startTestProxy>): Promise<TestProxy> {
  const p = await startTestProxy(...args)
  cleanups.push(() => p.close())
  return p
}

/** One raw request on its own connection; resolves with the status and the body. */
function raw(port: number, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    sock.on('data', (d: Buffer) => chunks.push(d))
    sock.on('error', reject)
    sock.on('close', () => {
      const all = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0)
      resolve({ status, body: all.slice(all.indexOf('\r\n\r\n') + 4) })
    })
    // Not end(): Node's server drops pending responses when the client half-closes.
    sock.write(Buffer.from(text, 'latin1'))
  })
}

function get(port: number, path: string, host = 'paths.test', extra = ''): Promise<{ status: number; body: string }> {
  return raw(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`)
}

describe('path normalisation before routing', async () => {
  const pub = await upstream('public')
  const adm = await upstream('admin')
  const sPub = fx.service({ host: pub.host, port: pub.port })
  const sAdm = fx.service({ host: adm.host, port: adm.port })
  const routes = [
    fx.route(sPub, { paths: ['/public'], strip_path: false }),
    // The admin route only answers with its header: a path trick must not get around that.
    fx.route(sAdm, { paths: ['/admin'], headers: { 'x-admin': ['yes'] }, strip_path: false }),
  ]
  const p = await proxy(snapshotOf({ services: [sPub, sAdm], routes }))

  // [request path, route reached (null: 404), path the upstream receives]
  const cases: [string, 'public' | 'admin' | null, string | null][] = [
    ['/public/x', 'public', '/public/x'],
    ['/public/../admin', null, null],
    ['/public/%2e%2e/admin', null, null],
    ['/public/%2E%2E/admin', null, null],
    ['/public/.%2e/admin', null, null],
    ['//public//x', 'public', '/public/x'],
    ['/public/./x/../y', 'public', '/public/y'],
    ['/admin/../public/z', 'public', '/public/z'],
    ['/%70ublic/%7Ex', 'public', '/public/~x'],
    ['/public/a%2F..%2Fadmin', 'public', '/public/a%2F..%2Fadmin'],
    ['/public/%2e%2e%2fadmin', 'public', '/public/..%2Fadmin'],
    ['/public/caf%c3%a9', 'public', '/public/caf%C3%A9'],
    ['/public/a%20b', 'public', '/public/a%20b'],
    ['/nothing/../../../public', 'public', '/public'],
  ]
  for (const [path, reached, forwarded] of cases) {
    test(`${path} → ${reached ?? '404'}${forwarded ? ` as ${forwarded}` : ''}`, async () => {
      const before = { pub: pub.requests.length, adm: adm.requests.length }
      const r = await get(p.port, path)
      if (reached === null) {
        assert.equal(r.status, 404)
        assert.deepEqual(JSON.parse(r.body), { message: 'no Route matched with those values' })
      } else {
        assert.equal(r.status, 200, r.body)
        const u = reached === 'public' ? pub : adm
        assert.equal(u.requests.at(-1)!.url, forwarded)
      }
      assert.equal(adm.requests.length, before.adm + (reached === 'admin' ? 1 : 0))
    })
  }

  test('with its header, the normalised path reaches the admin route as Kong would route it', async () => {
    const r = await get(p.port, '/public/%2e%2e/admin/x', 'paths.test', 'X-Admin: yes\r\n')
    assert.equal(r.status, 200)
    assert.equal(adm.requests.at(-1)!.url, '/admin/x')
  })
})

describe('Host matching', async () => {
  const up = await upstream('hosts')
  const s = fx.service({ host: up.host, port: up.port })
  const probe = await proxy(snapshotOf({}))
  const port = probe.port
  await probe.close()
  // Routes pinned to the port the proxy listens on and to another one; the proxy is then
  // started on that same port so a plain Host header is matched against it.
  const routes = [
    fx.route(s, { name: 'plain', hosts: ['plain.test'] }),
    fx.route(s, { name: 'on-our-port', hosts: [`ported.test:${port}`] }),
    fx.route(s, { name: 'on-80', hosts: ['eighty.test:80'] }),
    fx.route(s, { name: 'wild', hosts: ['*.wild.test'] }),
  ]
  const snapshot = snapshotOf({ services: [s], routes })
  const p = await startTestProxyOn(port, snapshot)

  // [Host header, matches]
  const cases: [string, boolean][] = [
    ['plain.test', true],
    ['PLAIN.test', true],
    ['plain.test:1234', true],
    ['plain.test.', false],
    ['plain.test:abc', false],
    [`ported.test`, true],
    [`ported.test:${port}`, true],
    ['ported.test:1', false],
    ['eighty.test', false],
    ['eighty.test:80', true],
    ['a.wild.test', true],
    ['a.b.wild.test:9', true],
    ['wild.test', false],
  ]
  for (const [host, hit] of cases) {
    test(`Host: ${host} → ${hit ? 'routed' : '404'}`, async () => {
      const r = await get(p.port, '/', host)
      assert.equal(r.status, hit ? 200 : 404, r.body)
    })
  }
})

async function startTestProxyOn(port: number, snapshot: Parameters<typeof startTestProxy>[0]): Promise<TestProxy> {
  // startTestProxy listens on port 0; listen again on the port the routes name.
  const p = await proxy(snapshot)
  await new Promise<void>((resolve) => p.proxy.server.close(() => resolve()))
  await new Promise<void>((resolve, reject) => {
    p.proxy.server.once('error', reject)
    p.proxy.server.listen(port, '127.0.0.1', () => resolve())
  })
  return { ...p, port, url: `http://127.0.0.1:${port}` }
}

describe('headers forwarded byte-exact', async () => {
  const up = await upstream('headers')
  const s = fx.service({ host: up.host, port: up.port })
  const p = await proxy(snapshotOf({ services: [s], routes: [fx.route(s, { paths: ['/'] })] }))

  test('values keep their bytes: UTF-8, quotes, commas, inner spaces, long values', async () => {
    const values: Record<string, string> = {
      'x-utf8': Buffer.from('café ☕', 'utf8').toString('latin1'),
      'x-quoted': '"a, b"; q=0.5, \'c\'',
      'x-spaces': 'a  b\tc',
      'x-long': 'v'.repeat(4000),
      'x-symbols': '!#$%&*+-.^_`|~()<>@,;:\\/[]?={}',
    }
    const lines = Object.entries(values)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')
    const r = await get(p.port, '/h', 'headers.test', lines)
    assert.equal(r.status, 200)
    const seen = up.requests.at(-1)!.headers
    for (const [k, v] of Object.entries(values)) assert.equal(seen[k], v, k)
  })
})
