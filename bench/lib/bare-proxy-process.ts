// Child process: the runtime's floor for a Node reverse proxy, nothing but node:http in front
// of undici Pools (one per backend, round-robin), streaming both ways, hop-by-hop headers
// dropped. `dispatch` (the default) drives Pool.dispatch with a minimal handler, the lowest
// level undici offers; `request` uses Pool.request and pipes its body (what most Node proxies
// do). No routing, no X-Forwarded-*, no retries, no metrics. Sends `{ port }` over IPC.

import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Pool, type Dispatcher } from 'undici'

const mode = process.argv[2] === 'request' ? 'request' : 'dispatch'
const backends = (process.argv[3] ?? '').split(',').filter((a) => a !== '')
const pools = backends.map(
  (b) => new Pool(`http://${b}`, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 })
)
let next = 0
const pick = (): Pool => pools[next++ % pools.length]!

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-connection', 'host'])

function requestHeaders(raw: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (!HOP.has(name)) out.push(name, raw[i + 1]!)
  }
  return out
}

function responseHeaders(raw: Buffer[]): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase()
    if (!HOP.has(name)) out.push(name, raw[i + 1]!.toString('latin1'))
  }
  return out
}

const hasBody = (req: http.IncomingMessage) =>
  req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined

/** The smallest handler Pool.dispatch takes, writing straight to the client response. */
class ForwardHandler implements Dispatcher.DispatchHandler {
  private abort: ((err?: Error) => void) | undefined
  constructor(private readonly res: http.ServerResponse) {
    res.once('close', () => {
      if (!res.writableFinished) this.abort?.()
    })
  }
  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort
  }
  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    this.res.writeHead(status, responseHeaders(raw))
    this.res.on('drain', resume)
    return true
  }
  onData(chunk: Buffer): boolean {
    return this.res.write(chunk)
  }
  onComplete(): void {
    this.res.end()
  }
  onError(): void {
    if (this.res.headersSent) this.res.destroy()
    else this.res.writeHead(502).end()
  }
}

function viaDispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
  pick().dispatch(
    {
      method: req.method as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers: requestHeaders(req.rawHeaders),
      body: hasBody(req) ? req : null,
    },
    new ForwardHandler(res)
  )
}

function viaRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
  pick()
    .request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers: requestHeaders(req.rawHeaders),
      body: hasBody(req) ? req : null,
    })
    .then(
      (r) => {
        const out: string[] = []
        for (const [k, v] of Object.entries(r.headers)) {
          if (v === undefined || HOP.has(k)) continue
          if (Array.isArray(v)) for (const x of v) out.push(k, x)
          else out.push(k, v)
        }
        res.writeHead(r.statusCode, out)
        r.body.pipe(res)
      },
      () => (res.headersSent ? res.destroy() : res.writeHead(502).end())
    )
}

const server = http.createServer({ keepAliveTimeout: 120_000 }, mode === 'dispatch' ? viaDispatch : viaRequest)
server.keepAliveTimeout = 120_000
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
process.send?.({ port: (server.address() as AddressInfo).port })
process.on('disconnect', () => process.exit(0))
