// The service's write_timeout, as nginx's proxy_send_timeout: the longest time between two
// successive writes of the request to the upstream. A large buffered body goes out as a
// stream that the upstream connection pulls chunk by chunk; when it has pulled
// nothing for `writeMs` while chunks remain (the upstream stopped reading and the socket
// buffers are full), the stream fails with a timeout and the attempt ends in a 504. Small
// bodies fit in the socket buffers whole, so they are sent as they are, at no cost.

import { Readable } from 'node:stream'

/** Bodies below this size are written to the socket buffers at once: they cannot stall. */
export const WATCHED_BODY_MIN_BYTES = 256 * 1024
const CHUNK_BYTES = 64 * 1024

/** What classifyError reads as a timeout. */
export const WRITE_TIMEOUT_CODE = 'SWITCHYARD_WRITE_TIMEOUT'

/** `body` as the connection should send it: the buffer itself, or a watched stream when it is large. */
export function upstreamBody(body: Buffer, writeMs: number, now: () => number = () => performance.now()): Buffer | Readable {
  if (body.length < WATCHED_BODY_MIN_BYTES || !(writeMs > 0)) return body
  let offset = 0
  let lastPull = now()
  const stream = new Readable({
    read() {
      lastPull = now()
      if (offset >= body.length) return
      const end = Math.min(body.length, offset + CHUNK_BYTES)
      const chunk = body.subarray(offset, end)
      offset = end
      this.push(chunk)
      if (offset >= body.length) this.push(null)
    },
    destroy(err, callback) {
      clearInterval(watch)
      callback(err)
    },
  })
  const watch = setInterval(() => {
    if (offset >= body.length) return clearInterval(watch)
    if (now() - lastPull > writeMs) {
      clearInterval(watch)
      stream.destroy(Object.assign(new Error('upstream write timed out'), { code: WRITE_TIMEOUT_CODE }))
    }
  }, Math.max(10, Math.min(1000, writeMs / 4)))
  watch.unref()
  stream.once('end', () => clearInterval(watch))
  return stream
}
