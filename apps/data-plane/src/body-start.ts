// Reads the start of an upstream response body before the proxy commits to it: either the
// first chunk (so a stream that dies before its first byte can still fail over, nothing having
// reached the client), or a small body whole (a 429's JSON may name the wait, Gemini-style).
// The stream is paused afterwards; the caller writes the chunks read so far and resumes it.
// Nothing is ever dropped: an oversized body stops being read at the cap and the rest streams
// as usual.
//
// A paused stream still emits 'end' once its last chunk was read, possibly before the caller
// gets to run: the 'end'/'error' listeners stay attached and keep `ended`/`error` current until
// the caller calls `release()`.

import type { Readable } from 'node:stream'

export interface BodyStart {
  chunks: Buffer[]
  /** The body ended within what was read. */
  ended: boolean
  /** The body failed; `chunks` holds what came before. */
  error?: unknown
  /** Stops tracking `ended`/`error`; call before attaching the caller's own listeners. */
  release(): void
}

/**
 * Resolves once `body` has produced its first chunk (or `untilEnd`: everything, up to `cap`
 * bytes), ended or failed.
 */
export function readStart(body: Readable, untilEnd: boolean, cap = 64 * 1024): Promise<BodyStart> {
  return new Promise((resolve) => {
    let size = 0
    let settled = false
    const result: BodyStart = {
      chunks: [],
      ended: false,
      release: () => {
        body.off('data', onData)
        body.off('end', onEnd)
        body.off('error', onError)
      },
    }
    const settle = () => {
      if (settled) return
      settled = true
      body.off('data', onData)
      resolve(result)
    }
    const onData = (chunk: Buffer) => {
      result.chunks.push(chunk)
      size += chunk.length
      if (!untilEnd || size > cap) {
        body.pause()
        settle()
      }
    }
    const onEnd = () => {
      result.ended = true
      settle()
    }
    const onError = (error: unknown) => {
      result.error = error
      settle()
    }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
  })
}
