// Kong's kong.request.get_body for the key-auth plugin: a JSON object, a form-urlencoded or a
// multipart/form-data body as name → value (a repeated name gives a list), and the same body
// written back without one name (hide_credentials). Other content types read as no arguments.

import { decodeArg } from '../../request-edits.js'
import { multipartArgs, multipartBoundary, multipartWithout, parseMultipart } from './multipart.js'

export type BodyArgs = Record<string, unknown>

export type BodyKind = 'json' | 'form' | { multipart: string } | undefined

export function bodyKind(contentType: string | undefined): BodyKind {
  const type = (contentType ?? '').toLowerCase()
  if (type.startsWith('application/json')) return 'json'
  if (type.startsWith('application/x-www-form-urlencoded')) return 'form'
  // The boundary is case-sensitive: read it from the header as sent.
  const boundary = multipartBoundary(contentType)
  if (boundary) return { multipart: boundary }
  return undefined
}

export function parseBodyArgs(kind: BodyKind, body: Buffer): BodyArgs {
  if (typeof kind === 'object') {
    const parts = parseMultipart(body, kind.multipart)
    return parts ? multipartArgs(parts) : {}
  }
  if (kind === 'json') {
    try {
      const value: unknown = JSON.parse(body.toString('utf8'))
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as BodyArgs) : {}
    } catch {
      return {}
    }
  }
  if (kind === 'form') return parseArgs(body.toString('utf8'))
  return {}
}

/**
 * `a=1&b&a=2` as ngx.req.get_uri_args / get_post_args read it: a bare name is `true`, a
 * repeated name gives a list.
 */
export function parseArgs(text: string): BodyArgs {
  const out: BodyArgs = {}
  for (const part of text.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = decodeArg(eq < 0 ? part : part.slice(0, eq))
    const value: unknown = eq < 0 ? true : decodeArg(part.slice(eq + 1))
    const prior = Object.hasOwn(out, name) ? out[name] : undefined
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return out
}

/** The body without argument `name`, in its own encoding. */
export function bodyWithout(kind: BodyKind, body: Buffer, name: string): Buffer {
  if (typeof kind === 'object') {
    const parts = parseMultipart(body, kind.multipart)
    return parts ? multipartWithout(parts, kind.multipart, name) : body
  }
  if (kind === 'json') {
    const args = parseBodyArgs(kind, body)
    delete args[name]
    return Buffer.from(JSON.stringify(args))
  }
  if (kind === 'form') {
    const kept = body
      .toString('utf8')
      .split('&')
      .filter((part) => part !== '' && decodeArg(part.split('=')[0]!) !== name)
    return Buffer.from(kept.join('&'))
  }
  return body
}
