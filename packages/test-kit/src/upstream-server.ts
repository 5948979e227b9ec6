// Real HTTP servers on port 0 for proxy tests: each records the requests it saw and answers
// with a handler the test gives (default: 200 with the server's name).

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export interface UpstreamServer {
  name: string
  port: number
  host: string
  /** `127.0.0.1:<port>` */
  address: string
  requests: SeenRequest[]
  server: http.Server
  close(): Promise<void>
}

export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: string
) => void | Promise<void>

export async function startUpstream(name: string, handler?: Handler): Promise<UpstreamServer> {
  const requests: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (handler) {
        void handler(req, res, body)
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name })
      res.end(name)
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    name,
    port,
    host: '127.0.0.1',
    address: `127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
