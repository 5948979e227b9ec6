// Admin API authentication: the pure pieces table-tested, then a real control plane (PGlite in
// memory) over loopback with a token configured.

import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { loadControlPlaneConfig } from '../config.js'
import { createControlPlane, type ControlPlane } from '../control-plane.js'
import { adminExposureWarning, isLoopbackHost, presentedToken, tokenMatches, UNAUTHORIZED_MESSAGE } from './admin-auth.js'

describe('presentedToken', () => {
  const cases: [Record<string, string>, string | undefined][] = [
    [{}, undefined],
    [{ 'kong-admin-token': 's3cret' }, 's3cret'],
    [{ authorization: 'Bearer s3cret' }, 's3cret'],
    [{ authorization: 'bearer   s3cret ' }, 's3cret'],
    [{ authorization: 'Basic czNjcmV0' }, undefined],
    [{ authorization: 'Bearer' }, undefined],
    [{ 'kong-admin-token': '' }, undefined],
    [{ 'kong-admin-token': 'a', authorization: 'Bearer b' }, 'a'],
  ]
  for (const [headers, expected] of cases) {
    it(`${JSON.stringify(headers)} → ${expected}`, () => assert.equal(presentedToken(headers), expected))
  }
})

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    assert.equal(tokenMatches('s3cret', 's3cret'), true)
    assert.equal(tokenMatches('s3cret ', 's3cret'), false)
    assert.equal(tokenMatches('S3cret', 's3cret'), false)
    assert.equal(tokenMatches('s3cre', 's3cret'), false)
    assert.equal(tokenMatches('', 's3cret'), false)
    assert.equal(tokenMatches(undefined, 's3cret'), false)
    assert.equal(tokenMatches('x'.repeat(10_000), 's3cret'), false)
  })
})

describe('adminExposureWarning', () => {
  const cases: [{ host: string; port: number } | undefined, string | undefined, boolean][] = [
    [{ host: '127.0.0.1', port: 8001 }, undefined, false],
    [{ host: '127.1.2.3', port: 8001 }, undefined, false],
    [{ host: '::1', port: 8001 }, undefined, false],
    [{ host: 'localhost', port: 8001 }, undefined, false],
    [{ host: '0.0.0.0', port: 8001 }, undefined, true],
    [{ host: '::', port: 8001 }, undefined, true],
    [{ host: '10.0.0.5', port: 8001 }, undefined, true],
    [{ host: '0.0.0.0', port: 8001 }, 'token', false],
    [undefined, undefined, false],
  ]
  for (const [listen, token, warns] of cases) {
    it(`${JSON.stringify(listen)} token=${token}: ${warns ? 'warns' : 'quiet'}`, () => {
      const w = adminExposureWarning(listen, token)
      assert.equal(w !== undefined, warns)
      if (w) assert.match(w, /SWITCHYARD_ADMIN_TOKEN/)
    })
  }
  it('knows loopback', () => {
    assert.equal(isLoopbackHost('127.0.0.1'), true)
    assert.equal(isLoopbackHost('128.0.0.1'), false)
  })
})

describe('config', () => {
  it('reads SWITCHYARD_ADMIN_TOKEN; empty means none', () => {
    assert.equal(loadControlPlaneConfig({ SWITCHYARD_ADMIN_TOKEN: 'abc' }).adminToken, 'abc')
    assert.equal(loadControlPlaneConfig({ SWITCHYARD_ADMIN_TOKEN: '' }).adminToken, undefined)
    assert.equal(loadControlPlaneConfig({}).adminToken, undefined)
  })
})

describe('Admin API with a token', () => {
  const TOKEN = 'test-token-Ü-1'
  let cp: ControlPlane
  let server: http.Server
  let url: string
  before(async () => {
    cp = await createControlPlane({
      databaseUrl: undefined,
      log: createLogger({ level: 'silent' }),
      healthStore: new MemoryHealthStore(),
      adminToken: TOKEN,
    })
    server = http.createServer(cp.app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cp.close()
  })

  const refused: [string, Record<string, string>][] = [
    ['no token', {}],
    ['wrong token', { 'Kong-Admin-Token': 'nope' }],
    ['wrong bearer', { Authorization: 'Bearer nope' }],
    ['token as basic auth', { Authorization: `Basic ${Buffer.from(TOKEN).toString('base64')}` }],
  ]
  for (const [name, headers] of refused) {
    it(`${name}: 401 with Kong's body, on known and unknown paths`, async () => {
      for (const path of ['/', '/services', '/nowhere']) {
        const r = await fetch(`${url}${path}`, { headers })
        assert.equal(r.status, 401)
        assert.match(r.headers.get('content-type') ?? '', /application\/json/)
        assert.match(r.headers.get('server') ?? '', /^kong\//)
        assert.deepEqual(await r.json(), { message: UNAUTHORIZED_MESSAGE })
      }
    })
  }

  it('a write without the token changes nothing', async () => {
    const r = await fetch(`${url}/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky', host: 'x.test' }),
    })
    assert.equal(r.status, 401)
    await r.text()
    const list = await fetch(`${url}/services`, { headers: { 'Kong-Admin-Token': TOKEN } })
    assert.deepEqual(((await list.json()) as { data: unknown[] }).data, [])
  })

  it('accepts Kong-Admin-Token and a bearer token', async () => {
    const created = await fetch(`${url}/services`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Kong-Admin-Token': TOKEN },
      body: JSON.stringify({ name: 'svc', host: 'x.test' }),
    })
    assert.equal(created.status, 201)
    await created.text()
    const r = await fetch(`${url}/services/svc`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    assert.equal(r.status, 200)
    assert.equal(((await r.json()) as { name: string }).name, 'svc')
  })

  it('answers CORS preflights without a token', async () => {
    const r = await fetch(`${url}/services`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://manager.test',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'kong-admin-token, content-type',
      },
    })
    assert.equal(r.status, 204)
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://manager.test')
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /kong-admin-token/)
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/)
  })
})
