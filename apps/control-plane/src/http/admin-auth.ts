// Optional Admin API authentication (an extension; Kong OSS has none): with a token configured,
// every request must carry it in `Kong-Admin-Token` (Kong Enterprise's header) or as
// `Authorization: Bearer <token>`. Compared in constant time over fixed-length digests, so
// neither the token's content nor its length leaks through timing. CORS preflights (OPTIONS)
// pass: browsers send them without credentials, and they only list methods.

import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createHash, timingSafeEqual } from 'node:crypto'
import { sendMessage } from './respond.js'

/** Kong Enterprise's RBAC answer to a missing or wrong token. */
export const UNAUTHORIZED_MESSAGE = 'Invalid credentials. Token or User credentials required'

const BEARER = /^bearer\s+(.+)$/i

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** The token a request presents, if any. */
export function presentedToken(headers: Request['headers']): string | undefined {
  const header = headers['kong-admin-token']
  if (typeof header === 'string' && header !== '') return header
  const auth = headers.authorization
  const m = auth === undefined ? null : BEARER.exec(auth.trim())
  return m ? m[1]!.trim() : undefined
}

/** True when `presented` equals `expected`, in time independent of both. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  // Digest even a missing token, so a request without one takes as long as a wrong one.
  const ok = timingSafeEqual(digest(presented ?? ''), digest(expected))
  return ok && presented !== undefined
}

export function adminAuth(token: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'OPTIONS' || tokenMatches(presentedToken(req.headers), token)) return next()
    res.setHeader('WWW-Authenticate', 'Bearer realm="kong"')
    sendMessage(res, 401, UNAUTHORIZED_MESSAGE)
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i

/** Whether the Admin API on `host` can be reached from other machines. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host)
}

/**
 * The warning to log at start when the Admin API listens beyond loopback without a token, or
 * undefined when there is nothing to warn about.
 */
export function adminExposureWarning(listen: { host: string; port: number } | undefined, token: string | undefined): string | undefined {
  if (!listen || token || isLoopbackHost(listen.host)) return undefined
  return `Admin API listens on ${listen.host}:${listen.port} without SWITCHYARD_ADMIN_TOKEN: anyone who reaches it can change the configuration`
}
