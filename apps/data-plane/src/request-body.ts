// Reading a request body the proxy buffers (Kong's request_buffering), within nginx's
// client_max_body_size and client_body_timeout: a body over the limit is 413 (refused from
// Content-Length alone when it says so), a client pausing longer than the timeout between two
// reads is 408, and a client that goes away mid-body gets nothing forwarded.

import type http from 'node:http'
import { PROXY_ERRORS, type ProxyError } from './proxy-errors.js'

/** True when Content-Length alone already exceeds the limit (0 = unlimited). */
export function declaredBodyTooLarge(req: http.IncomingMessage, maxBytes: number): boolean {
  if (maxBytes <= 0) return false
  const declared = req.headers['content-length']
  return declared !== undefined && Number(declared) > maxBytes
}

/** What went wrong reading the body; `ABORTED` means the client left and nobody needs an answer. */
export const ABORTED = Symbol('aborted')

export interface BodyLimits {
  /** 0 = unlimited. */
  maxBytes: number
  /** Longest pause between two reads; 0 = none. */
  idleMs: number
}

/** The whole body, or the error to answer with. Never rejects. */
export function readRequestBody(
  req: http.IncomingMessage,
  limits: BodyLimits
): Promise<Buffer | ProxyError | typeof ABORTED> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let timer: NodeJS.Timeout | undefined
    const finish = (result: Buffer | ProxyError | typeof ABORTED) => {
      if (timer) clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      resolve(result)
    }
    const arm = () => {
      if (limits.idleMs <= 0) return
      if (timer) timer.refresh()
      else timer = setTimeout(() => finish(PROXY_ERRORS.REQUEST_TIMEOUT), limits.idleMs)
    }
    const onData = (c: Buffer) => {
      size += c.length
      if (limits.maxBytes > 0 && size > limits.maxBytes) {
        // Stop reading; the 413 goes out with `Connection: close`, which drops the rest.
        req.pause()
        return finish(PROXY_ERRORS.PAYLOAD_TOO_LARGE)
      }
      chunks.push(c)
      arm()
    }
    const onEnd = () => finish(Buffer.concat(chunks, size))
    const onError = () => finish(ABORTED)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    arm()
  })
}
