// Request-path normalisation before routing and escaping before forwarding, after Kong's
// kong/tools/uri.lua (`normalize(uri, true)` in kong/router/utils.lua strip_uri_args, and
// `escape` on the upstream URI in kong/runloop/handler.lua).
//
// Paths are byte strings, one char per byte, which is how Node hands over `req.url`: decoding
// `%C3%A9` yields two chars and escaping writes the same two bytes back, so a path survives the
// round trip unchanged and no UTF-8 decoding happens on the hot path.

// RFC 3986 reserved characters (plus `%`) keep their percent-encoding: decoding `%2F` would turn
// one segment into two and change what the upstream sees. Everything else is decoded.
const RESERVED = new Set("!*'();:@&=+$,/?%#[]")

// What may appear in a forwarded path as is; anything else is percent-encoded.
const UNSAFE_CHAR = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/
const UNSAFE_CHARS = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/g
const PERCENT_TRIPLET = /%([0-9A-Fa-f]{2})/g
const NON_ASCII = /[^\x00-\x7f]/
const MAX_BYTE = 0xff

function decodeTriplet(triplet: string, hex: string): string {
  const code = Number.parseInt(hex, 16)
  const char = String.fromCharCode(code)
  return RESERVED.has(char) ? triplet.toUpperCase() : char
}

/**
 * Kong's path normalisation: decode percent-triplets except reserved characters (whose hex is
 * upper-cased), resolve `.` and `..` segments, and merge repeated slashes. Cheap when there is
 * nothing to do: a path without `%`, `.` or `//` is returned as is.
 *
 * @example normalizePath('/a/%7Eb/../c//d') // '/a/c/d'
 */
export function normalizePath(path: string): string {
  if (path === '' || path === '/') return path
  const decoded = path.includes('%') ? path.replace(PERCENT_TRIPLET, decodeTriplet) : path
  if (!decoded.includes('.') && !decoded.includes('//')) return decoded
  return removeDotSegments(decoded)
}

// RFC 3986 §5.2.4 on segments, with empty segments dropped (Kong merges slashes). A trailing
// `.`, `..` or empty segment leaves a trailing slash, as `/a/.` → `/a/`.
function removeDotSegments(path: string): string {
  const segments = path.split('/')
  const kept: string[] = []
  let trailingSlash = false
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? ''
    const last = i === segments.length - 1
    if (segment === '' || segment === '.') {
      trailingSlash = last
    } else if (segment === '..') {
      kept.pop()
      trailingSlash = last
    } else {
      kept.push(segment)
      trailingSlash = false
    }
  }
  if (kept.length === 0) return '/'
  return '/' + kept.join('/') + (trailingSlash ? '/' : '')
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0)
  if (code <= MAX_BYTE) return '%' + code.toString(16).toUpperCase().padStart(2, '0')
  // Only a caller passing a real Unicode string gets here; encode it as UTF-8 like a browser.
  return encodeURIComponent(char)
}

/**
 * Percent-encode every character that may not appear in a forwarded path (Kong's `escape`).
 * Returns the input itself when it is already safe.
 *
 * @example escapePath('/a b') // '/a%20b'
 */
export function escapePath(path: string): string {
  return UNSAFE_CHAR.test(path) ? path.replace(UNSAFE_CHARS, escapeChar) : path
}

/** Re-express a Unicode string (route paths from JSON config) in the byte form requests use. */
export function toByteString(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text
}
