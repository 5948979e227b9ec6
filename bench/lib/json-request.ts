// One JSON request over a given keep-alive agent, resolved with the status and body once the
// whole answer has arrived: how the benches talk to the Admin API.

import http from 'node:http'

export function jsonRequest(
  agent: http.Agent,
  url: string,
  method: string,
  body?: object
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((ok, fail) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', fail)
      }
    )
    req.on('error', fail)
    req.end(payload)
  })
}
