// Fallback load generator when wrk is missing: `connections` keep-alive sockets, each sending
// GETs back to back for `seconds`; prints one JSON LoadResult. Run as its own process.

import http from 'node:http'

const [url = '', connArg = '10', secArg = '5'] = process.argv.slice(2)
const connections = Number(connArg)
const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
const latencies: number[] = []
let errors = 0
const started = performance.now()
const until = started + Number(secArg) * 1000

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const req = http.get(url, { agent }, (res) => {
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
