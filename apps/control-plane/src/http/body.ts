// Reads an Admin API request body the way Kong's api_helpers.before_filter and arguments.lua
// do: JSON is taken as is; form-urlencoded and multipart become ordered key/value pairs for
// the schema-aware decoder; other content types are 415; over 1000 arguments is a 400.

import busboy from 'busboy'
import type { IncomingMessage } from 'node:http'

export const MAX_ARGS = 1000
const MAX_BODY_BYTES = 16 * 1024 * 1024
/** Past this, an oversized body is no longer read to the end and the connection is dropped. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024
/**
 * Deepest nesting accepted: lua-cjson's default decode depth, which Kong keeps (deeper JSON is
 * "Cannot parse JSON body" there). The validators recurse, so this also bounds their stack.
 */
export const MAX_DEPTH = 1000

export type Body =
  | { kind: 'empty' }
  | { kind: 'json'; value: Record<string, unknown> }
  | { kind: 'form'; pairs: [string, string][] }

export type BodyError = { status: 400; message: string } | { status: 415 } | { status: 413 }

export type BodyResult = { ok: true; body: Body } | { ok: false; error: BodyError }

function readRaw(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      // Too large: keep reading without keeping, so the client gets its 413 instead of a reset
      // while it is still sending; only a body far over the limit is cut off.
      if (size > MAX_DISCARD_BYTES) return void req.destroy()
      if (size > MAX_BODY_BYTES) return
      chunks.push(c)
    })
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** Whether JSON text nests arrays/objects deeper than `max` (a scan, so no recursion). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** Nesting levels a form key asks for: `a.b[1].c` is 4. */
function keyDepth(key: string): number {
  let n = 1
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c === 0x2e || c === 0x5b) n++
  }
  return n
}

/** Splits `a=1&b=2` into ordered pairs, `+` as space, percent-decoded leniently. */
export function parseUrlEncoded(text: string): [string, string][] {
  const pairs: [string, string][] = []
  if (text === '') return pairs
  for (const part of text.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const rawKey = eq === -1 ? part : part.slice(0, eq)
    const rawValue = eq === -1 ? '' : part.slice(eq + 1)
    pairs.push([decode(rawKey), decode(rawValue)])
  }
  return pairs
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(plus)
  } catch {
    return plus
  }
}

function parseMultipart(req: IncomingMessage, raw: Buffer): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    const pairs: [string, string][] = []
    let bb: busboy.Busboy
    try {
      bb = busboy({ headers: req.headers, limits: { fields: MAX_ARGS + 1, fieldSize: MAX_BODY_BYTES } })
    } catch (err) {
      reject(err)
      return
    }
    // A part without a name (busboy gives undefined despite its types) names no argument.
    const named = (name: string | undefined): name is string => typeof name === 'string' && name !== ''
    bb.on('field', (name, value) => {
      if (named(name)) pairs.push([name, value])
    })
    bb.on('file', (name, stream) => {
      // A file part is an argument whose value is the file's content (curl -F x=@file).
      const chunks: Buffer[] = []
      // A body cut off inside a file part fails the file stream too; unheard, that error
      // would crash the process.
      stream.on('error', reject)
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (named(name)) pairs.push([name, Buffer.concat(chunks).toString('utf8')])
      })
    })
    bb.on('close', () => resolve(pairs))
    bb.on('error', reject)
    bb.end(raw)
  })
}

/** Reads and classifies the body of a POST/PUT/PATCH. */
export async function readBody(req: IncomingMessage): Promise<BodyResult> {
  const raw = await readRaw(req)
  if (raw === undefined) return { ok: false, error: { status: 413 } }
  const contentType = (req.headers['content-type'] ?? '').toLowerCase()
  if (contentType === '') {
    return raw.length === 0 ? { ok: true, body: { kind: 'empty' } } : { ok: false, error: { status: 415 } }
  }
  if (contentType.startsWith('application/json')) {
    try {
      const text = raw.toString('utf8')
      if (nestsDeeperThan(text, MAX_DEPTH)) return { ok: false, error: { status: 400, message: 'Cannot parse JSON body' } }
      const value: unknown = JSON.parse(text)
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return { ok: false, error: { status: 400, message: 'Cannot parse JSON body' } }
      }
      return { ok: true, body: { kind: 'json', value: value as Record<string, unknown> } }
    } catch {
      return { ok: false, error: { status: 400, message: 'Cannot parse JSON body' } }
    }
  }
  let pairs: [string, string][]
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    pairs = parseUrlEncoded(raw.toString('utf8'))
  } else if (contentType.startsWith('multipart/form-data')) {
    // No parts at all (an empty body, or only the closing boundary): no fields, as in Kong.
    if (raw.toString('latin1').trim() === '' || /^--[^\r\n]*--\s*$/.test(raw.toString('latin1'))) {
      return { ok: true, body: { kind: 'form', pairs: [] } }
    }
    try {
      pairs = await parseMultipart(req, raw)
    } catch {
      return { ok: false, error: { status: 400, message: 'Cannot parse multipart body' } }
    }
  } else {
    return { ok: false, error: { status: 415 } }
  }
  if (pairs.length > MAX_ARGS) return { ok: false, error: { status: 400, message: 'Too many arguments' } }
  // Kong's error handler's generic 400 body: a key nesting this deep has no meaning.
  if (pairs.some(([key]) => keyDepth(key) > MAX_DEPTH)) return { ok: false, error: { status: 400, message: 'Bad request' } }
  return { ok: true, body: { kind: 'form', pairs } }
}
