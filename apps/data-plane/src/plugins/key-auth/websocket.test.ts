// A WebSocket upgrade goes through the plugins too: without a key it is answered 401 (no
// bypass by asking for a WebSocket); with one, the upstream sees X-Consumer-* on the upgrade.

import {
  consumers as consumerDef,
  keyauthCredentials,
  plugins as pluginDef,
  type Entity,
  type EntityDefinition,
} from '@switchyard/entities'
import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { fx, snapshotOf, startTestProxy, makeEntity, type TestProxy } from '../../test-fixtures.js'
import { createPluginAccess, type PluginAccess } from '../access.js'

const make = (def: EntityDefinition, input: Entity): Entity => makeEntity(def, input)

let server: http.Server
let wss: WebSocketServer
let proxy: TestProxy
let access: PluginAccess
const upgrades: { url: string | undefined; headers: http.IncomingHttpHeaders }[] = []

before(async () => {
  server = http.createServer()
  wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => {
    upgrades.push({ url: req.url, headers: req.headers })
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const service = fx.service({ host: '127.0.0.1', port: (server.address() as AddressInfo).port })
  const route = fx.route(service, { paths: ['/ws'] })
  const alice = make(consumerDef, { username: 'alice' })
  proxy = await startTestProxy(
    snapshotOf({
      services: [service],
      routes: [route],
      consumers: [alice],
      keyauth_credentials: [make(keyauthCredentials, { key: 'alice-key', consumer: { id: alice['id'] } })],
      plugins: [make(pluginDef, { name: 'key-auth', route: { id: route['id'] }, config: { hide_credentials: true } })],
    }),
    { access: (ctx) => access.access(ctx) }
  )
  access = createPluginAccess({ state: proxy.state, log: createLogger({ level: 'silent' }) })
})

after(async () => {
  await proxy?.close()
  await access?.close()
  wss?.close()
  server?.closeAllConnections()
  await new Promise<void>((r) => server?.close(() => r()))
})

test('an upgrade without a key is answered 401 with WWW-Authenticate', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`)
  const refused = await new Promise<http.IncomingMessage>((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => resolve(res))
    ws.on('open', () => reject(new Error('the upgrade went through without a key')))
    ws.on('error', () => {})
  })
  assert.equal(refused.statusCode, 401)
  assert.equal(refused.headers['www-authenticate'], 'Key')
  ws.terminate()
  assert.equal(upgrades.length, 0)
})

test('an upgrade with a key reaches the upstream as its consumer, the key hidden', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws?apikey=alice-key`)
  await new Promise<void>((resolve, reject) => {
    ws.on('open', resolve)
    ws.on('error', reject)
  })
  const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())))
  ws.send('hi')
  assert.equal(await reply, 'echo:hi')
  ws.close()
  const seen = upgrades.at(-1)!
  assert.equal(seen.headers['x-consumer-username'], 'alice')
  assert.ok(seen.headers['x-credential-identifier'])
  assert.equal(seen.url, '/', 'strip_path, and hide_credentials removed the apikey argument')
})
