// An incremental HTTP/1.1 response parser for the proxy's own upstream client: bytes in,
// head / body chunks / end out, with no I/O. Body framing follows RFC 9112 §6.3: no body for
// HEAD, 1xx, 204 and 304; chunked when it is the last transfer coding; else Content-Length;
// else everything until the connection closes. Chunked bodies are decoded with the data
// handed on as slices of the buffers read (no copy); the head is read as latin1, so header
// bytes reach the client unchanged.

/** Where the parser's output goes. */
export interface ResponseSink {
  /** The final response head (1xx answers are skipped). */
  onHead(status: number, headers: Record<string, string | string[]>): void
  onBody(chunk: Buffer): void
  /** The body is complete: the message ended before the connection did. */
  onEnd(): void
}

export class ResponseParseError extends Error {
  readonly code = 'SWITCHYARD_BAD_RESPONSE'
}

/** The largest response head accepted, status line and headers together (as nginx's 4–8 KB, raised). */
export const MAX_HEAD_BYTES = 64 * 1024
const MAX_TRAILER_BYTES = 64 * 1024

const enum State {
  /** Waiting for (the rest of) a head. */
  Head,
  Length,
  ChunkSize,
  ChunkExtension,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  Trailers,
  UntilClose,
  Done,
  Failed,
}

const CR = 13
const LF = 10
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1')
/** An RFC 9110 token (method, header name): what the proxy's client accepts and sends. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/
const DIGITS = /^\d+$/
/** Control characters other than tab, and a CR or LF that is not part of a CRLF. */
const BAD_HEAD_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/

/** Header names already seen, as sent → validated lower-case: servers repeat the same few. */
const NAMES = new Map<string, string>()
const NAMES_MAX = 512

function headerName(raw: string): string {
  const known = NAMES.get(raw)
  if (known !== undefined) return known
  if (!HTTP_TOKEN.test(raw)) throw new ResponseParseError('invalid response header name')
  const name = raw.toLowerCase()
  if (NAMES.size >= NAMES_MAX) NAMES.clear()
  NAMES.set(raw, name)
  return name
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48
  if (byte >= 97 && byte <= 102) return byte - 87
  if (byte >= 65 && byte <= 70) return byte - 55
  return -1
}

/**
 * `text` without the optional whitespace around it: SP and HTAB only (RFC 9110 §5.6.3).
 * String.prototype.trim also strips latin1's no-break space (0xA0), so `Content-Length: \xa05`
 * or `chunked\xa0` would be read as valid where llhttp and the server see otherwise.
 */
function trimOws(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false
  // The usual values, whole.
  if (value === token) return true
  if (value === 'keep-alive' || value === 'close') return false
  const text = Array.isArray(value) ? value.join(',') : value
  for (const part of text.split(',')) if (trimOws(part).toLowerCase() === token) return true
  return false
}

export class H1ResponseParser {
  /** Whether the connection may carry another request after this response. */
  keepAlive = false
  /** The response's Keep-Alive `timeout=` hint, in ms, or undefined. */
  keepAliveHintMs: number | undefined
  /** Bytes came after the end of the response (a server that does not frame its answers). */
  trailingBytes = false
  /** Whether any byte of a response arrived. */
  sawBytes = false
  private state = State.Failed
  private noBody = false
  private pending: Buffer | undefined
  private remaining = 0
  private trailerLine = 0
  private trailerBytes = 0
  /** Hex digits read in the current chunk size (a size line needs at least one). */
  private sizeDigits = 0
  /** A CR was read in the trailer section: only LF may follow. */
  private trailerCr = false
  private abandoned = false

  constructor(private readonly sink: ResponseSink) {}

  /** Expects the response to a request with this method. */
  start(method: string): void {
    this.state = State.Head
    this.abandoned = false
    this.noBody = method === 'HEAD'
    this.pending = undefined
    this.keepAlive = false
    this.keepAliveHintMs = undefined
    this.trailingBytes = false
    this.sawBytes = false
  }

  get done(): boolean {
    return this.state === State.Done
  }

  /** Whether the end of the connection completes the response (a body read until close). */
  get endsAtClose(): boolean {
    return this.state === State.UntilClose
  }

  /** Feeds bytes read from the connection. Throws ResponseParseError on a malformed response. */
  execute(data: Buffer): void {
    if (data.length > 0) this.sawBytes = true
    let at = 0
    while (at < data.length) {
      switch (this.state) {
        case State.Head:
          at = this.head(data, at)
          break
        case State.Length: {
          const n = Math.min(this.remaining, data.length - at)
          const chunk = at === 0 && n === data.length ? data : data.subarray(at, at + n)
          at += n
          this.remaining -= n
          this.sink.onBody(chunk)
          if (this.remaining === 0) this.finish()
          break
        }
        case State.UntilClose:
          this.sink.onBody(at === 0 ? data : data.subarray(at))
          at = data.length
          break
        case State.ChunkData: {
          const n = Math.min(this.remaining, data.length - at)
          const chunk = data.subarray(at, at + n)
          at += n
          this.remaining -= n
          if (this.remaining === 0) this.state = State.ChunkDataCr
          this.sink.onBody(chunk)
          break
        }
        case State.Done:
          this.trailingBytes = true
          return
        case State.Failed:
          if (this.abandoned) return
          throw new ResponseParseError('response bytes without a request')
        default:
          at = this.chunkFraming(data, at)
      }
    }
  }

  private head(data: Buffer, at: number): number {
    let buf = at === 0 ? data : data.subarray(at)
    let searchFrom = 0
    if (this.pending !== undefined) {
      // The end marker may straddle the two buffers.
      searchFrom = Math.max(0, this.pending.length - 3)
      buf = Buffer.concat([this.pending, buf])
    }
    const end = buf.indexOf(HEAD_END, searchFrom)
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) throw new ResponseParseError('response head too large')
      this.pending = buf
      return data.length
    }
    if (end > MAX_HEAD_BYTES) throw new ResponseParseError('response head too large')
    const consumedBefore = this.pending === undefined ? 0 : this.pending.length
    this.pending = undefined
    this.parseHead(buf.toString('latin1', 0, end))
    // Bytes of `data` used up: the head's end minus what came from earlier buffers.
    return at + end + 4 - consumedBefore
  }

  private parseHead(text: string): void {
    // Control characters other than tab, and CR or LF outside the CRLFs between lines, make
    // the head invalid.
    if (BAD_HEAD_CHAR.test(text)) throw new ResponseParseError('invalid character in response head')
    const lines = text.split('\r\n')
    const m = STATUS_LINE.exec(lines[0]!)
    if (!m) throw new ResponseParseError('invalid response status line')
    const status = Number(m[2])
    // 000–099 are no status at all; left alone they would be skipped as 1xx answers.
    if (status < 100) throw new ResponseParseError('invalid response status code')
    const http10 = m[1] === '0'
    const headers: Record<string, string | string[]> = {}
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!
      const colon = line.indexOf(':')
      // A line starting with whitespace is an obsolete fold, refused as llhttp does.
      if (colon <= 0) throw new ResponseParseError('invalid response header line')
      const name = headerName(line.slice(0, colon))
      const value = trimOws(line.slice(colon + 1))
      const known = headers[name]
      if (known === undefined) headers[name] = value
      else if (typeof known === 'string') headers[name] = [known, value]
      else known.push(value)
    }
    if (status < 200) {
      // 101 answers a request that did not ask to switch; others (100, 103) precede the response.
      if (status === 101) throw new ResponseParseError('unexpected protocol switch')
      return
    }
    const connection = headers['connection']
    this.keepAlive = http10 ? hasToken(connection, 'keep-alive') : !hasToken(connection, 'close')
    const hint = headers['keep-alive']
    if (typeof hint === 'string') {
      const t = /timeout=(\d+)/i.exec(hint)
      if (t) this.keepAliveHintMs = Number(t[1]) * 1000
    }
    // The framing is settled before the head goes on: a malformed one fails the response whole.
    let next: State
    if (this.noBody || status === 204 || status === 304) next = State.Done
    else {
      const te = headers['transfer-encoding']
      const cl = headers['content-length']
      if (te !== undefined) {
        // Both at once is how requests are smuggled; refused as llhttp does.
        if (cl !== undefined) throw new ResponseParseError('both transfer-encoding and content-length')
        const codings = (Array.isArray(te) ? te.join(',') : te).split(',')
        // Transfer-Encoding in an HTTP/1.0 message: the framing is suspect, the connection is
        // closed after it (RFC 9112 §6.1).
        if (http10) this.keepAlive = false
        if (trimOws(codings[codings.length - 1]!).toLowerCase() === 'chunked') next = State.ChunkSize
        else {
          this.keepAlive = false
          next = State.UntilClose
        }
      } else if (cl !== undefined) {
        const values = (Array.isArray(cl) ? cl.join(',') : cl).split(',').map(trimOws)
        const first = values[0]!
        if (!DIGITS.test(first) || values.some((v) => v !== first)) throw new ResponseParseError('invalid content-length')
        const length = Number(first)
        if (!Number.isSafeInteger(length)) throw new ResponseParseError('invalid content-length')
        this.remaining = length
        next = length === 0 ? State.Done : State.Length
      } else {
        this.keepAlive = false
        next = State.UntilClose
      }
    }
    if (next === State.ChunkSize) {
      this.remaining = 0
      this.sizeDigits = 0
    }
    this.sink.onHead(status, headers)
    if (this.state !== State.Head) return // the sink abandoned the response
    if (next === State.Done) return this.finish()
    this.state = next
  }

  /** The chunked framing around chunk data: sizes, extensions, CRLFs and trailers, byte by byte. */
  private chunkFraming(data: Buffer, at: number): number {
    while (at < data.length) {
      const byte = data[at]!
      switch (this.state) {
        case State.ChunkSize: {
          const v = hexValue(byte)
          if (v >= 0) {
            this.remaining = this.remaining * 16 + v
            this.sizeDigits++
            if (this.remaining > Number.MAX_SAFE_INTEGER / 16) throw new ResponseParseError('chunk size too large')
          } else if (this.sizeDigits === 0) {
            // An empty size line (or whitespace, or an extension, first) would read as the last
            // chunk: the body would end where the server's did not.
            throw new ResponseParseError('invalid chunk size')
          } else if (byte === CR) this.state = State.ChunkSizeLf
          else if (byte === 59 /* ; */ || byte === 32 || byte === 9) this.state = State.ChunkExtension
          else throw new ResponseParseError('invalid chunk size')
          at++
          break
        }
        case State.ChunkExtension:
          if (byte === CR) this.state = State.ChunkSizeLf
          else if (byte === LF) throw new ResponseParseError('invalid chunk extension')
          at++
          break
        case State.ChunkSizeLf:
          if (byte !== LF) throw new ResponseParseError('invalid chunk size line')
          at++
          if (this.remaining === 0) {
            this.state = State.Trailers
            this.trailerLine = 0
            this.trailerBytes = 0
            this.trailerCr = false
          } else {
            this.state = State.ChunkData
            return at
          }
          break
        case State.ChunkDataCr:
          if (byte !== CR) throw new ResponseParseError('chunk data without CRLF')
          this.state = State.ChunkDataLf
          at++
          break
        case State.ChunkDataLf:
          if (byte !== LF) throw new ResponseParseError('chunk data without CRLF')
          this.state = State.ChunkSize
          this.remaining = 0
          this.sizeDigits = 0
          at++
          break
        case State.Trailers:
          at++
          if (++this.trailerBytes > MAX_TRAILER_BYTES) throw new ResponseParseError('trailers too large')
          // Lines end in CRLF only: a bare LF (or CR) ending the section is where parsers differ.
          if (this.trailerCr !== (byte === LF)) throw new ResponseParseError('invalid trailer line')
          this.trailerCr = byte === CR
          if (byte === LF) {
            if (this.trailerLine === 0) {
              this.finish()
              return at
            }
            this.trailerLine = 0
          } else if (byte !== CR) this.trailerLine++
          break
        default:
          return at
      }
    }
    return at
  }

  private finish(): void {
    this.state = State.Done
    this.sink.onEnd()
  }

  /** The sink gave up on this response (an abort): anything further is ignored. */
  abandon(): void {
    this.state = State.Failed
    this.abandoned = true
  }
}
