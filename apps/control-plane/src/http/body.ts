// Reads an Admin API request body the way Kong's api_helpers.before_filter and arguments.lua
// do: JSON is taken as is; form-urlencoded and multipart become ordered key/value pairs for
// the schema-aware decoder; other content types are 415; over 1000 arguments is a 400.

import busboy from 'busboy'
import type { IncomingMessage } from 'node:http'

export const MAX_ARGS = 1000
const MAX_BODY_BYTES = 16 * 1024 * 1024

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
      if (size > MAX_BODY_BYTES) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
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
      const value: unknown = JSON.parse(raw.toString('utf8'))
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
  return { ok: true, body: { kind: 'form', pairs } }
}
