// Open-loop load at a fixed rate (wrk2-style): requests are scheduled every 1/rate s whether or
// not earlier ones have answered, and each latency is counted from its scheduled start, so a
// stall shows in the percentiles instead of slowing the sender down (no coordinated omission).
// Run as its own process: `url rate seconds shapeJson`; prints one JSON LoadResult. The first
// half second is a warm-up and is not counted.

import http from 'node:http'

const [url = '', rateArg = '1000', secArg = '5', shapeArg = ''] = process.argv.slice(2)
const rate = Number(rateArg)
const shape = shapeArg ? (JSON.parse(shapeArg) as { method: string; body: string; headers: Record<string, string> }) : undefined
const body = shape ? Buffer.from(shape.body) : undefined
const options: http.RequestOptions = {
  agent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
  method: shape?.method ?? 'GET',
  headers: shape ? { ...shape.headers, 'content-length': String(body?.length ?? 0) } : {},
}
const WARMUP_MS = 500
const latencies: number[] = []
let errors = 0
let sent = 0
let inFlight = 0
const started = performance.now()
const until = started + WARMUP_MS + Number(secArg) * 1000

function send(scheduled: number): void {
  inFlight++
  const counted = scheduled >= started + WARMUP_MS
  const req = http.request(url, options, (res) => {
    res.resume()
    res.once('end', () => {
      inFlight--
      if (!counted) return
      latencies.push(performance.now() - scheduled)
      if ((res.statusCode ?? 0) >= 400) errors++
    })
  })
  req.once('error', () => {
    inFlight--
    if (counted) errors++
  })
  req.end(body)
}

await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now()
    const end = Math.min(now, until)
    // Every request whose slot has come, each with its own scheduled time.
    while (started + (sent * 1000) / rate <= end) send(started + (sent++ * 1000) / rate)
    if (now < until) setTimeout(tick, 1)
    else resolve()
  }
  tick()
})
while (inFlight > 0) await new Promise((r) => setTimeout(r, 5))
latencies.sort((a, b) => a - b)
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
const seconds = Number(secArg)
process.stdout.write(
  JSON.stringify({ requests: latencies.length, seconds, rps: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors })
)
process.exit(0)
