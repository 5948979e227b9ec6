import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { ConnectionCounters } from './connection-counters.js'

test('counts accepted connections, requests and active/writing/waiting states', async () => {
  const counters = new ConnectionCounters()
  let seenWhileWriting: ReturnType<ConnectionCounters['stats']> | undefined
  const server = http.createServer((_req, res) => {
    // The counters' own request listener runs after this one; look once it has.
    setImmediate(() => {
      seenWhileWriting = counters.stats()
      res.end('ok')
    })
  })
  counters.watch(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        http.get({ port, host: '127.0.0.1', agent }, (res) => res.resume().on('end', resolve)).on('error', reject)
      })
    }
    assert.equal(seenWhileWriting?.writing, 1)
    const s = counters.stats()
    assert.equal(s.accepted, 1, 'one keep-alive connection')
    assert.equal(s.handled, 1)
    assert.equal(s.total, 3)
    assert.equal(s.active, 1)
    assert.equal(s.writing, 0)
    assert.equal(s.waiting, 1)
    assert.equal(s.reading, 0)
  } finally {
    agent.destroy()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
})
