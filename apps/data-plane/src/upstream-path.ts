// The path sent upstream: service.path joined with what is left of the request path, per the
// route's strip_path and path_handling. Follows Kong's get_upstream_uri_v0 (kong/router/utils.lua)
// and the v1 branch of kong/router/traditional.lua; the expected results are Kong's own table,
// spec/fixtures/router_path_handling_tests.lua, replayed in router.test.ts.
//
// Deliberate difference: Kong 3.x under traditional_compatible warns "path_handling='v1' is
// deprecated and will not work" and joins v1 routes the v0 way. We keep the documented v1 join
// so routes carried over from Kong 1.x/2.x keep the upstream paths they were written for.

import type { RouteConfig } from './route-types.js'

/**
 * Kong's uri postfix clean-up: what remains after stripping must not start a new dot segment
 * (`/api` + `/api..` would otherwise forward `..`).
 */
function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return ''
  if (postfix.startsWith('./')) return postfix.slice(2)
  if (postfix.startsWith('../')) return postfix.slice(3)
  return postfix
}

/**
 * Join the service path with the request path.
 *
 * @param base service.path, or `/` when the service has none
 * @param path the normalised request path
 * @param stripped the part of `path` the route matched and strips, or null (strip_path false,
 *   or the route matched without a path); Kong then keeps everything after the leading slash
 */
export function joinUpstreamPath(
  base: string,
  path: string,
  stripped: string | null,
  route: Pick<RouteConfig, 'strip_path' | 'path_handling'>,
): string {
  const postfix = sanitizePostfix(stripped === null ? path.slice(1) : path.slice(stripped.length))
  const baseSlash = base.endsWith('/')

  if (route.path_handling === 'v1') {
    if (!route.strip_path) return base + path.slice(1)
    return baseSlash && postfix.startsWith('/') ? base.slice(0, -1) + postfix : base + postfix
  }

  // v0: avoid both a double slash and a glued segment between base and postfix.
  if (!route.strip_path) {
    if (baseSlash) return base + path.slice(1)
    return path === '/' ? base : base + path
  }
  if (postfix === '') {
    // Nothing left: keep the request's trailing slash only when it had one.
    if (baseSlash) return base === '/' || path.endsWith('/') ? base : base.slice(0, -1)
    return path.length > 1 && path.endsWith('/') ? base + '/' : base
  }
  if (postfix.startsWith('/')) return (baseSlash ? base.slice(0, -1) : base) + postfix
  return baseSlash ? base + postfix : base + '/' + postfix
}
