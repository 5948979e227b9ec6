// Fallback load generator when wrk is missing: `connections` keep-alive sockets, each sending
// requests back to back for `seconds` (GETs, or the JSON RequestShape given as 4th argument);
// prints one JSON LoadResult. Run as its own process.

import http from 'node:http'

const [url = '', connArg = '10', secArg = '5', shapeArg = ''] = process.argv.slice(2)
const shape = shapeArg ? (JSON.parse(shapeArg) as { method: string; body: string; headers: Record<string, string> }) : undefined
const body = shape ? Buffer.from(shape.body) : undefined
const connections = Number(connArg)
const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
const latencies: number[] = []
let errors = 0
const started = performance.now()
const until = started + Number(secArg) * 1000

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const options: http.RequestOptions = shape
      ? { agent, method: shape.method, headers: { ...shape.headers, 'content-length': String(body?.length ?? 0) } }
      : { agent }
    const req = http.request(url, options, (res) => {
      res.resume()
      res.once('end', () => {
        latencies.push(performance.now() - t0)
        if ((res.statusCode ?? 0) >= 400) errors++
        resolve()
      })
    })
    req.once('error', () => {
      errors++
      resolve()
    })
    req.end(body)
  })
}

async function loop(): Promise<void> {
  while (performance.now() < until) await once()
}

await Promise.all(Array.from({ length: connections }, loop))
const seconds = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
process.stdout.write(
  JSON.stringify({
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
  })
)
agent.destroy()
