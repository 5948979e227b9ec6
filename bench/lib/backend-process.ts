// Child process: plain node:http backends on loopback (one per port, same process), used by all
// cases. `/sse` streams a few `data:` events; anything else (the load is an OpenAI-style chat
// completion POST) reads the request body and answers a small chat completion, the same bytes
// each time.
// Sends `{ ports }` over IPC once listening.

import http from 'node:http'
import type { AddressInfo } from 'node:net'

const count = Number(process.argv[2] ?? 2)
const BODY = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1700000000,
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hello from the backend' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
  }) + '\n'
)
const SSE_EVENTS = 5
const SSE_GAP_MS = 1

function sse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  let i = 0
  const next = () => {
    if (res.destroyed) return
    res.write(`data: {"i":${i}}\n\n`)
    if (++i < SSE_EVENTS) setTimeout(next, SSE_GAP_MS)
    else res.end('data: [DONE]\n\n')
  }
  next()
}

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/sse') return sse(res)
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length })
    res.end(BODY)
  }
  if (req.readableEnded || req.complete) return answer()
  req.on('data', () => {})
  req.once('end', answer)
}

const ports: number[] = []
for (let i = 0; i < count; i++) {
  const server = http.createServer({ keepAliveTimeout: 120_000 }, handler)
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  ports.push((server.address() as AddressInfo).port)
}
process.send?.({ ports })
process.on('disconnect', () => process.exit(0))
