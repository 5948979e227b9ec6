// Whom a request is counted against (Kong's get_identifier): the consumer, credential,
// service, a header's value or the path — and the client IP whenever that yields nothing.
// The consumer and credential come from the auth plugin that ran before (key-auth).

import type { RateLimitingConfig } from './config.js'

export interface IdentifierRequest {
  clientIp: string
  serviceId: string | null
  /** Authenticated consumer / credential (set by an auth plugin). */
  consumerId?: string | null
  credentialId?: string | null
  /** First value of a request header (name in any case), undefined when absent. */
  header(name: string): string | undefined
  /** The normalised request path. */
  path: string
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) reads as `10.0.0.1`, as Kong shows it. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

export function identifierFor(
  config: Pick<RateLimitingConfig, 'limit_by' | 'header_name' | 'path'>,
  req: IdentifierRequest
): string {
  let id: string | null | undefined
  switch (config.limit_by) {
    case 'service':
      id = req.serviceId
      break
    case 'consumer':
      id = req.consumerId ?? req.credentialId
      break
    case 'credential':
      id = req.credentialId
      break
    case 'header':
      id = config.header_name ? req.header(config.header_name) : undefined
      break
    case 'path':
      id = config.path && req.path === config.path ? req.path : undefined
      break
    default:
      id = undefined
  }
  return id ?? normalizeIp(req.clientIp)
}
