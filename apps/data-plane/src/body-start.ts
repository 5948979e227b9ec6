// Reads the start of an upstream response body before the proxy commits to it: either the
// first chunk (so a stream that dies before its first byte can still fail over, nothing having
// reached the client), or a small body whole (a 429's JSON may name the wait, Gemini-style).
// The stream is paused afterwards with its listeners removed; the caller writes the chunks read
// so far and resumes it. Nothing is ever dropped: an oversized body stops being read at the cap
// and the rest streams as usual.

import type { Readable } from 'node:stream'

export interface BodyStart {
  chunks: Buffer[]
  /** The body ended within what was read. */
  ended: boolean
  /** The body failed before ending; `chunks` holds what came before. */
  error?: unknown
}

/**
 * Resolves once `body` has produced its first chunk (or `untilEnd`: everything, up to `cap`
 * bytes), ended or failed.
 */
export function readStart(body: Readable, untilEnd: boolean, cap = 64 * 1024): Promise<BodyStart> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (r: BodyStart) => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      resolve(r)
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (!untilEnd || size > cap) {
        body.pause()
        finish({ chunks, ended: false })
      }
    }
    const onEnd = () => finish({ chunks, ended: true })
    const onError = (error: unknown) => finish({ chunks, ended: false, error })
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
  })
}
