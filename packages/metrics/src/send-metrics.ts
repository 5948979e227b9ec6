// Writes a scrape as Kong's exporter answers it: 200, text/plain; charset=UTF-8.

import type { ServerResponse } from 'node:http'
import { CONTENT_TYPE } from './exposition.js'

export function sendMetrics(res: ServerResponse, body: string, head = false): void {
  res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) })
  res.end(head ? undefined : body)
}
