// A small Admin API client for the conformance suite: real HTTP over loopback, and one entity
// body sent the three ways Kong's specs send it (form-urlencoded, multipart, JSON), so every
// case written once exercises the form decoder and the JSON path alike.

import http from 'node:http'

/** F = application/x-www-form-urlencoded, M = multipart/form-data, J = application/json. */
export type Encoding = 'F' | 'M' | 'J'
export const FMJ: readonly Encoding[] = ['F', 'M', 'J']
export const FJ: readonly Encoding[] = ['F', 'J']

/** Parsed JSON of a reply; `any` because every test reads it as whatever the case expects. */
export type Json = any

/** What fetch accepts as a body (the DOM's BodyInit, which this project's lib does not include). */
export type RequestBody = NonNullable<RequestInit['body']>

export interface Reply {
  status: number
  headers: Headers
  /** Raw body text, for checks on the exact encoding (`"data":[]`, `\/`). */
  text: string
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  body: Json
}

/**
 * Flattens a JSON value into form pairs the way Kong's test client does: nested objects as
 * dotted keys, array elements as 1-based `x[i]`, null as an empty value (Kong's form null).
 */
export function toFormPairs(value: unknown, prefix = ''): [string, string][] {
  if (value === null) return [[prefix, '']]
  if (Array.isArray(value)) {
    // A form cannot say "empty array"; a case that needs one must use JSON.
    if (value.length === 0) throw new Error(`cannot send an empty array (${prefix}) as a form`)
    return value.flatMap((v, i) => toFormPairs(v, `${prefix}[${i + 1}]`))
  }
  if (typeof value === 'object' && value !== undefined) {
    return Object.entries(value).flatMap(([k, v]) => toFormPairs(v, prefix ? `${prefix}.${k}` : k))
  }
  return [[prefix, String(value)]]
}

/** The request body and content type for `data` in one encoding. */
export function encodeBody(
  data: Record<string, unknown>,
  enc: Encoding
): { body: RequestBody; headers: Record<string, string> } {
  if (enc === 'J') return { body: JSON.stringify(data), headers: { 'content-type': 'application/json' } }
  const pairs = toFormPairs(data)
  if (enc === 'F') {
    return {
      body: new URLSearchParams(pairs).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }
  }
  const form = new FormData()
  for (const [k, v] of pairs) form.append(k, v)
  // fetch writes the multipart content type with its boundary itself.
  return { body: form, headers: {} }
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text()
  let body: Json
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers, text, body }
}

export class AdminClient {
  /** Requests answered with a 5xx since the last `takeServerErrors()`. */
  private serverErrors: string[] = []

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    init: { body?: RequestBody; headers?: Record<string, string> } = {}
  ): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method,
      ...(init.body !== undefined ? { body: init.body } : {}),
      headers: init.headers ?? {},
    })
    const reply = await toReply(res)
    if (reply.status >= 500) this.serverErrors.push(`${method} ${path} → ${reply.status} ${reply.text}`)
    return reply
  }

  /** Sends `data` as one encoding (JSON by default). */
  send(method: string, path: string, data: Record<string, unknown>, enc: Encoding = 'J'): Promise<Reply> {
    const { body, headers } = encodeBody(data, enc)
    return this.request(method, path, { body, headers })
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, headers ? { headers } : {})
  }

  post(path: string, data: Record<string, unknown>, enc: Encoding = 'J'): Promise<Reply> {
    return this.send('POST', path, data, enc)
  }

  put(path: string, data: Record<string, unknown>, enc: Encoding = 'J'): Promise<Reply> {
    return this.send('PUT', path, data, enc)
  }

  patch(path: string, data: Record<string, unknown>, enc: Encoding = 'J'): Promise<Reply> {
    return this.send('PATCH', path, data, enc)
  }

  delete(path: string): Promise<Reply> {
    return this.request('DELETE', path)
  }

  /** A form body given as raw text (`a=1&b[]=2`), for decoder cases no JSON value can express. */
  form(method: string, path: string, text: string): Promise<Reply> {
    return this.request(method, path, {
      body: text,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
  }

  /**
   * A request with an exact path and headers, bypassing fetch's URL normalisation and default
   * headers (bad percent-encoding, a body without Content-Type).
   */
  raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
    const url = new URL(this.base)
    // Node sends GET/DELETE bodies unframed unless the length is given.
    const framed = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, headers: framed, agent: false },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const h = new Headers()
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v)
            }
            let parsed: Json
            try {
              parsed = text === '' ? undefined : JSON.parse(text)
            } catch {
              parsed = undefined
            }
            const status = res.statusCode ?? 0
            if (status >= 500) this.serverErrors.push(`${method} ${path} → ${status} ${text}`)
            resolve({ status, headers: h, text, body: parsed })
          })
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  takeServerErrors(): string[] {
    const errors = this.serverErrors
    this.serverErrors = []
    return errors
  }
}
