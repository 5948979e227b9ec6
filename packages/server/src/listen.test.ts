import { createLogger } from '@switchyard/log'
import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { listen } from './listen.js'

test('listens and logs the address; a port in use rejects', async () => {
  const lines: string[] = []
  const log = createLogger({ write: (l) => lines.push(l) })
  const a = http.createServer()
  await listen(a, { host: '127.0.0.1', port: 0 }, 'thing', log)
  const port = (a.address() as { port: number }).port
  assert.match(JSON.parse(lines[0]!).msg, /^thing listening on http:\/\/127\.0\.0\.1:0$/)
  const b = http.createServer()
  await assert.rejects(listen(b, { host: '127.0.0.1', port }, 'other', log), /EADDRINUSE/)
  a.close()
})
