// What the proxy refuses before routing, so that no request it cannot frame unambiguously ever
// reaches an upstream (request smuggling) and nginx's header limits hold. Node's HTTP parser
// (llhttp, strict) already rejects Content-Length together with Transfer-Encoding, repeated
// Content-Length, obs-folded lines, bare CR or LF, control characters in header values and
// bad chunk sizes or oversized chunk extensions: those arrive as `clientError`, answered by
// `clientErrorReply`. The rest, which llhttp lets through but nginx refuses, is checked here on
// the parsed request by `checkRequestHead`. Pure functions; the server wires them in.

import { PROXY_ERRORS, type ProxyError } from './proxy-errors.js'

/** The parts of a parsed request the checks read (an http.IncomingMessage fits). */
export interface RequestHead {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly rawHeaders: readonly string[]
}

/** " HTTP/1.1" after the target, the space after the method and the CRLF. */
const REQUEST_LINE_OVERHEAD = 12
/** ": " between name and value and the CRLF. */
const HEADER_LINE_OVERHEAD = 4
const DIGITS = /^\d+$/

/**
 * The error to answer for a request nginx would refuse, or null to proceed. `headerLineBytes`
 * is one nginx large header buffer: the request line and each header line must fit in one.
 *
 * @example checkRequestHead({ method: 'GET', url: 'http://x/', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: [] }, 8192) // 400
 */
export function checkRequestHead(req: RequestHead, headerLineBytes: number): ProxyError | null {
  // HTTP/0.9 and 2.0+ never reach here framed as HTTP/1.x; nginx answers them 400 or 505.
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return PROXY_ERRORS.BAD_REQUEST
  const url = req.url ?? ''
  if ((req.method ?? '').length + url.length + REQUEST_LINE_OVERHEAD > headerLineBytes) {
    return PROXY_ERRORS.URI_TOO_LONG
  }
  // Only origin-form targets: absolute-form (`GET http://other/…`) would let the request line
  // name another host than the Host header, and `*` / authority-form name no path at all.
  if (url.charCodeAt(0) !== 0x2f) return PROXY_ERRORS.BAD_REQUEST

  const raw = req.rawHeaders
  let hosts = 0
  let lengths = 0
  let encodings = 0
  let chunkedOnly = true
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    if (name.length + value.length + HEADER_LINE_OVERHEAD > headerLineBytes) return PROXY_ERRORS.HEADER_TOO_LARGE
    // Only names of the right length are compared, so common headers cost one length check.
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++
    else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      lengths++
      if (!DIGITS.test(value)) return PROXY_ERRORS.BAD_REQUEST
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      encodings++
      if (value.trim().toLowerCase() !== 'chunked') chunkedOnly = false
    }
  }
  // nginx: "client sent duplicate host header"; two Hosts could route and forward differently.
  // HTTP/1.1 requires one (Node's own check answers without a body, so the server turns it off).
  if (hosts > 1 || lengths > 1 || (hosts === 0 && req.httpVersionMinor === 1)) return PROXY_ERRORS.BAD_REQUEST
  if (encodings > 0) {
    // Exactly one `chunked`, on HTTP/1.1, without Content-Length: anything else is a body
    // whose end the upstream might find elsewhere than we did.
    if (encodings > 1 || !chunkedOnly || lengths > 0 || req.httpVersionMinor === 0) return PROXY_ERRORS.BAD_REQUEST
  }
  return null
}

/** Node's error for a malformed request, as `clientError` hands it over. */
export interface ClientParseError {
  readonly code?: string | undefined
  /** The chunk of input the parser failed in. */
  readonly rawPacket?: Buffer | undefined
}

const METHOD_START = /^[A-Z]+ /

/**
 * The answer to a request Node's parser refused, or null when there is no one to answer (the
 * client reset the connection). A header overflow before the end of the request line is nginx's
 * 414; any other overflow is its 494, sent as 400.
 */
export function clientErrorReply(err: ClientParseError): ProxyError | null {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case undefined:
      return null
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return PROXY_ERRORS.REQUEST_TIMEOUT
    case 'HPE_HEADER_OVERFLOW':
      return requestLineUnfinished(err.rawPacket) ? PROXY_ERRORS.URI_TOO_LONG : PROXY_ERRORS.HEADER_TOO_LARGE
    default:
      return PROXY_ERRORS.BAD_REQUEST
  }
}

function requestLineUnfinished(packet: Buffer | undefined): boolean {
  if (packet === undefined || packet.includes(0x0a)) return false
  return METHOD_START.test(packet.subarray(0, 16).toString('latin1'))
}

/** A complete HTTP/1.1 error response that closes the connection, for writing to a raw socket. */
export function rawErrorResponse(err: ProxyError, server: string, statusText: string): string {
  const body = JSON.stringify({ message: err.message })
  return (
    `HTTP/1.1 ${err.status} ${statusText}\r\n` +
    `Server: ${server}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  )
}
