// Child process for `npm run bench:stream`: a lean OpenAI-style streaming provider. Every POST
// is answered with `text/event-stream` chat-completion chunks: one at once (the role delta, so
// first-event latency does not wait for a tick), then one per stream every 1/RATE s, until the
// parent says `finish`; then each stream gets its `usage` event and `data: [DONE]`.
//
// One interval timer ticks all streams: streams are spread over BUCKETS slots and each tick
// serves one slot, so a 5,000-stream load is written in small even bursts instead of 5,000
// timers or one big burst. Each event carries its send time (`t`, µs on CLOCK_MONOTONIC, the
// same clock in every process of the machine) and its sequence number (`s`), so the client can
// compute each event's relay delay and the gap added between two events.
//
// argv: events per second per stream. IPC in: 'open' (a new case: totals reset), 'finish' (end
// every stream, and any that starts later at once), 'totals' (usage reported since 'open'),
// 'stats'. IPC out: { port } once listening, then one answer per message.

import http from 'node:http'
import type { AddressInfo } from 'node:net'

const RATE = Number(process.argv[2] ?? 20)
const BUCKETS = 10
const PROMPT_TOKENS = 12
const MODEL = 'bench-model'

interface Stream {
  res: http.ServerResponse
  /** Content events sent (each one completion token). */
  seq: number
  bucket: number
  /** Index in its bucket, for O(1) removal. */
  slot: number
}

const buckets: Stream[][] = Array.from({ length: BUCKETS }, () => [])
let nextBucket = 0
let eventsSent = 0
let writesBackedUp = 0

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

function remove(s: Stream): void {
  const b = buckets[s.bucket]!
  if (b[s.slot] !== s) return
  const last = b.pop()!
  if (last !== s) {
    b[s.slot] = last
    last.slot = s.slot
  }
}

function content(s: Stream, delta: string): void {
  // `t` and `s` first: the client reads them without parsing the JSON.
  const ok = s.res.write(
    `data: {"t":${nowUs()},"s":${s.seq},"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"${MODEL}","choices":[{"index":0,"delta":${delta},"finish_reason":null}]}\n\n`
  )
  if (!ok) writesBackedUp++
  s.seq++
  eventsSent++
}

/** Set by 'finish' until the next 'open': a stream that starts late is answered in full at once. */
let finishing = false
let totals = { streams: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 }

function start(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const bucket = nextBucket
  nextBucket = (nextBucket + 1) % BUCKETS
  const s: Stream = { res, seq: 0, bucket, slot: buckets[bucket]!.length }
  buckets[bucket]!.push(s)
  res.once('close', () => remove(s))
  content(s, '{"role":"assistant","content":""}')
  if (finishing) finishAll()
}

// Ticks are due on a fixed schedule; a late timer serves every tick it missed at once, so each
// stream keeps RATE events/s on average however busy the machine is.
const TICK_MS = 1000 / RATE / BUCKETS
const scheduleStart = performance.now()
let tick = 0
setInterval(() => {
  const due = Math.floor((performance.now() - scheduleStart) / TICK_MS)
  for (; tick < due; tick++) {
    const b = buckets[tick % BUCKETS]!
    for (let i = 0; i < b.length; i++) content(b[i]!, '{"content":"tok"}')
  }
}, TICK_MS)

/** Ends every open stream with its usage event, adding what it reported to `totals`. */
function finishAll(): void {
  const out = totals
  for (const b of buckets) {
    for (const s of b.splice(0)) {
      // The role event carries no token; every later content event is one.
      const completion = s.seq - 1
      const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: completion, total_tokens: PROMPT_TOKENS + completion }
      s.res.end(
        `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"${MODEL}","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n` +
          `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"${MODEL}","choices":[],"usage":${JSON.stringify(usage)}}\n\n` +
          'data: [DONE]\n\n'
      )
      out.streams++
      out.promptTokens += usage.prompt_tokens
      out.completionTokens += usage.completion_tokens
      out.totalTokens += usage.total_tokens
    }
  }
}

const server = http.createServer((req, res) => {
  // The request body is read and dropped: every stream is the same.
  req.resume()
  req.once('end', () => start(res))
})
server.keepAliveTimeout = 120_000
server.headersTimeout = 120_000
server.requestTimeout = 0
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve))

process.on('message', (msg: string) => {
  if (msg === 'stats') {
    let open = 0
    for (const b of buckets) open += b.length
    process.send?.({ stats: { eventsSent, open, writesBackedUp } })
  } else if (msg === 'open') {
    finishing = false
    totals = { streams: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0 }
    process.send?.({ opened: true })
  } else if (msg === 'finish') {
    finishing = true
    finishAll()
    process.send?.({ finished: true })
  } else if (msg === 'totals') {
    process.send?.({ totals })
  }
})
process.send?.({ port: (server.address() as AddressInfo).port })
process.on('disconnect', () => process.exit(0))
