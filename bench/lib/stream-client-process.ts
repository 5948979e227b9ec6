// Child process for `npm run bench:stream`: opens `streams` streaming chat completions over raw
// sockets (one connection per stream, as a browser or SDK would), evenly over `rampMs`, and
// reads them until each ends with `data: [DONE]`. Raw sockets and a hand-rolled chunked + SSE
// reader keep the client far cheaper per event than the proxy it measures.
//
// Per event it reads the provider's send time `t` (µs, CLOCK_MONOTONIC: same clock as the
// provider's) and sequence number `s`: the relay delay is now − t, the gap added between two
// events is the growth of that delay from one event to the next (how much later than sent
// the second arrived, relative to the first). Per stream: time from writing the request to the
// first event, the `usage` tokens it was told, and whether it ended cleanly with every event.
//
// argv: url, streams, rampMs. IPC in: 'stats' (events received so far), 'report' (final figures,
// sent once every stream has ended). IPC out: { ready }, { stats }, { report }.

import net from 'node:net'
import { Histogram, type HistogramJson } from './histogram.ts'

const [urlArg = '', streamsArg = '1', rampArg = '1000'] = process.argv.slice(2)
const url = new URL(urlArg)
const STREAMS = Number(streamsArg)
const RAMP_MS = Number(rampArg)
const BODY = JSON.stringify({
  model: 'bench-model',
  stream: true,
  messages: [{ role: 'user', content: 'Count slowly to a very large number.' }],
})
const REQUEST = Buffer.from(
  `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
    `Accept: text/event-stream\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`
)

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

export interface ClientReport {
  opened: number
  completed: number
  /** Streams that ended without [DONE], with a non-200 status, or with a missing event. */
  lost: number
  lostReasons: Record<string, number>
  events: number
  usageTokens: number
  firstEventMs: number[]
  delay: HistogramJson
  addedGap: HistogramJson
}

const delay = new Histogram()
const addedGap = new Histogram()
const firstEventMs: number[] = []
const lostReasons: Record<string, number> = {}
let opened = 0
let completed = 0
let lost = 0
let events = 0
/** Streams that have received their first event. */
let streaming = 0
let usageTokens = 0
let ended = 0
let reportWanted = false

const enum State {
  Head,
  Size,
  Data,
  DataEnd,
  Trailer,
  Raw,
}

class Stream {
  private state = State.Head
  private head = ''
  private sizeLine = ''
  private remaining = 0
  private text = ''
  private sentAt = 0
  private firstAt = 0
  private nextSeq = 0
  private lastDelay = -1
  private done = false
  private finished = false
  private readonly sock: net.Socket

  constructor() {
    opened++
    this.sock = net.connect(Number(url.port), url.hostname)
    this.sock.setNoDelay(true)
    this.sock.once('connect', () => {
      this.sentAt = nowUs()
      this.sock.write(REQUEST)
    })
    this.sock.on('data', (b: Buffer) => this.onData(b))
    this.sock.once('error', (err: Error & { code?: string }) => this.end(err.code ?? 'socket error'))
    this.sock.once('close', () => this.end(this.done ? undefined : 'closed before [DONE]'))
  }

  private end(lostReason: string | undefined): void {
    if (this.finished) return
    this.finished = true
    ended++
    if (lostReason === undefined) completed++
    else {
      lost++
      lostReasons[lostReason] = (lostReasons[lostReason] ?? 0) + 1
    }
    this.sock.destroy()
    if (ended === STREAMS && reportWanted) sendReport()
  }

  private onData(b: Buffer): void {
    let i = 0
    while (i < b.length && !this.finished) {
      switch (this.state) {
        case State.Head: {
          this.head += b.toString('latin1', i)
          const end = this.head.indexOf('\r\n\r\n')
          if (end === -1) return
          const rest = this.head.slice(end + 4)
          const head = this.head.slice(0, end).toLowerCase()
          if (!head.startsWith('http/1.1 200')) return this.end(`status ${head.slice(9, 12)}`)
          this.state = /\r\ntransfer-encoding:\s*chunked/.test(head) ? State.Size : State.Raw
          // Re-feed what followed the head through the body states.
          b = Buffer.from(rest, 'latin1')
          i = 0
          this.head = ''
          continue
        }
        case State.Size: {
          const nl = b.indexOf(10, i)
          if (nl === -1) {
            this.sizeLine += b.toString('latin1', i)
            return
          }
          this.sizeLine += b.toString('latin1', i, nl)
          i = nl + 1
          const size = parseInt(this.sizeLine, 16)
          this.sizeLine = ''
          if (size === 0) this.state = State.Trailer
          else {
            this.remaining = size
            this.state = State.Data
          }
          continue
        }
        case State.Data: {
          const n = Math.min(this.remaining, b.length - i)
          this.body(b.toString('latin1', i, i + n))
          i += n
          this.remaining -= n
          if (this.remaining === 0) this.state = State.DataEnd
          continue
        }
        case State.DataEnd: {
          // The CRLF after a chunk's data.
          const nl = b.indexOf(10, i)
          if (nl === -1) return
          i = nl + 1
          this.state = State.Size
          continue
        }
        case State.Trailer:
          // Chunked body over; the stream must have said [DONE] by now.
          return this.end(this.done ? undefined : 'ended before [DONE]')
        case State.Raw:
          this.body(b.toString('latin1', i))
          return
      }
    }
  }

  private body(s: string): void {
    this.text += s
    let start = 0
    for (let sep = this.text.indexOf('\n\n'); sep !== -1; sep = this.text.indexOf('\n\n', start)) {
      this.event(this.text.slice(start, sep))
      start = sep + 2
    }
    this.text = start === 0 ? this.text : this.text.slice(start)
  }

  private event(e: string): void {
    if (!e.startsWith('data: ')) return
    if (e.startsWith('data: {"t":')) {
      const now = nowUs()
      let p = 11
      let t = 0
      for (let c = e.charCodeAt(p); c >= 48 && c <= 57; c = e.charCodeAt(++p)) t = t * 10 + (c - 48)
      p += 5 // ,"s":
      let seq = 0
      for (let c = e.charCodeAt(p); c >= 48 && c <= 57; c = e.charCodeAt(++p)) seq = seq * 10 + (c - 48)
      if (seq !== this.nextSeq) return this.end('missing event')
      this.nextSeq++
      events++
      const d = now - t
      delay.record(d)
      if (this.lastDelay >= 0) addedGap.record(d - this.lastDelay)
      else {
        this.firstAt = now
        streaming++
        firstEventMs.push((this.firstAt - this.sentAt) / 1000)
      }
      this.lastDelay = d
      return
    }
    if (e === 'data: [DONE]') {
      this.done = true
      return
    }
    if (e.includes('"usage"')) {
      const u = (JSON.parse(e.slice(6)) as { usage?: { total_tokens?: number } }).usage
      usageTokens += u?.total_tokens ?? 0
    }
  }
}

function sendReport(): void {
  const report: ClientReport = {
    opened,
    completed,
    lost,
    lostReasons,
    events,
    usageTokens,
    firstEventMs,
    delay: delay.toJSON(),
    addedGap: addedGap.toJSON(),
  }
  process.send?.({ report })
}

process.on('message', (msg: string) => {
  if (msg === 'stats') process.send?.({ stats: { events, opened, streaming, ended, lost } })
  else if (msg === 'report') {
    reportWanted = true
    if (ended === opened && opened === STREAMS) sendReport()
  } else if (msg === 'report-now') sendReport()
})
process.on('disconnect', () => process.exit(0))

// Open the streams evenly over the ramp, checking every 10 ms how many are due.
const rampStart = performance.now()
const opener = setInterval(() => {
  const due = RAMP_MS <= 0 ? STREAMS : Math.min(STREAMS, Math.ceil(((performance.now() - rampStart) / RAMP_MS) * STREAMS))
  while (opened < due) new Stream()
  if (opened >= STREAMS) {
    clearInterval(opener)
    process.send?.({ ready: opened })
  }
}, 10)
