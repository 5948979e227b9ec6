import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { H1ResponseParser, MAX_HEAD_BYTES, ResponseParseError } from './h1-response-parser.js'

interface Parsed {
  status?: number
  headers?: Record<string, string | string[]>
  body: string
  ended: boolean
  parser: H1ResponseParser
}

/** Feeds `pieces` one by one to a parser expecting the response to `method`. */
function parse(pieces: Array<string | Buffer>, method = 'GET'): Parsed {
  const out: Parsed = { body: '', ended: false, parser: undefined as unknown as H1ResponseParser }
  const parser = new H1ResponseParser({
    onHead: (status, headers) => ((out.status = status), (out.headers = headers)),
    onBody: (chunk) => void (out.body += chunk.toString('latin1')),
    onEnd: () => void (out.ended = true),
  })
  out.parser = parser
  parser.start(method)
  for (const p of pieces) parser.execute(typeof p === 'string' ? Buffer.from(p, 'latin1') : p)
  return out
}

/** Every way of cutting `text` in two, plus byte by byte. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]]
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)])
  return out
}

const fails = (pieces: string[], method?: string) => assert.throws(() => parse(pieces, method), ResponseParseError)

describe('framing', () => {
  test('a sized body, however the bytes are cut', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello'
    for (const pieces of splits(text)) {
      const r = parse(pieces)
      assert.equal(r.status, 200)
      assert.deepEqual(r.headers, { 'content-type': 'text/plain', 'content-length': '5' })
      assert.equal(r.body, 'hello')
      assert.equal(r.ended, true)
      assert.equal(r.parser.keepAlive, true)
      assert.equal(r.parser.trailingBytes, false)
    }
  })

  test('a chunked body with extensions and trailers, however the bytes are cut', () => {
    const text =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n'
    for (const pieces of splits(text)) {
      const r = parse(pieces)
      assert.equal(r.body, 'hello, world!!!')
      assert.equal(r.ended, true, `cut as ${JSON.stringify(pieces.slice(0, 2))}`)
      assert.equal(r.parser.keepAlive, true)
    }
  })

  test('a chunked body not yet ended is not complete', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'])
    assert.equal(r.body, 'abc')
    assert.equal(r.ended, false)
  })

  test('no body for HEAD, 204 and 304, whatever the length says', () => {
    const head = parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'], 'HEAD')
    assert.equal(head.ended, true)
    assert.equal(head.body, '')
    for (const status of [204, 304]) {
      const r = parse([`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`])
      assert.equal(r.status, status)
      assert.equal(r.ended, true)
    }
  })

  test('without a length or chunked framing the body runs until the connection closes', () => {
    const r = parse(['HTTP/1.1 200 OK\r\n\r\nsome', ' more'])
    assert.equal(r.body, 'some more')
    assert.equal(r.ended, false)
    assert.equal(r.parser.endsAtClose, true)
    assert.equal(r.parser.keepAlive, false)
    const coded = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz'])
    assert.equal(coded.parser.endsAtClose, true)
    assert.equal(coded.body, 'zz')
  })

  test('a zero length ends at the head', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'])
    assert.equal(r.ended, true)
  })

  test('1xx answers are skipped, in the same read or not', () => {
    const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'])
    assert.equal(r.status, 201)
    assert.deepEqual(r.headers, { 'content-length': '2' })
    assert.equal(r.body, 'ok')
    const split = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20', '0 OK\r\nContent-Length: 1\r\n\r\nx'])
    assert.equal(split.status, 200)
    assert.equal(split.body, 'x')
  })

  test('bytes after the response are noted (the connection is not reused)', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'])
    assert.equal(r.body, 'ok')
    assert.equal(r.parser.trailingBytes, true)
  })
})

describe('head', () => {
  test('repeated headers become arrays; names lower-case; values trimmed; bytes kept as latin1', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nSET-COOKIE:c=3\r\nX-Name:\t caf\xe9 \r\nContent-Length: 0\r\n\r\n'])
    assert.deepEqual(r.headers, { 'set-cookie': ['a=1', 'b=2', 'c=3'], 'x-name': 'caf\xe9', 'content-length': '0' })
  })

  test('keep-alive: HTTP/1.1 unless close, HTTP/1.0 only when asked; the timeout hint is read', () => {
    assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).parser.keepAlive, false)
    assert.equal(parse(['HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n']).parser.keepAlive, false)
    assert.equal(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).parser.keepAlive, false)
    assert.equal(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n']).parser.keepAlive, true)
    const hinted = parse(['HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n'])
    assert.equal(hinted.parser.keepAliveHintMs, 5000)
  })

  test('Transfer-Encoding in an HTTP/1.0 response: the connection is not reused (RFC 9112 §6.1)', () => {
    const r = parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'])
    assert.equal(r.body, 'ok')
    assert.equal(r.ended, true)
    assert.equal(r.parser.keepAlive, false)
  })

  test('a transfer coding with a no-break space is not chunked', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\xa0\r\n\r\n2\r\nok\r\n0\r\n\r\n'])
    assert.equal(r.headers?.['transfer-encoding'], 'chunked\xa0')
    assert.equal(r.parser.endsAtClose, true)
    assert.equal(r.parser.keepAlive, false)
  })

  test('a status line without a reason phrase is accepted', () => {
    assert.equal(parse(['HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n']).status, 404)
  })
})

describe('malformed responses are refused before the head goes on', () => {
  const cases: Record<string, string> = {
    'bad status code': 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n',
    'not HTTP': 'SSH-2.0-OpenSSH\r\n\r\n',
    'HTTP/2 status line': 'HTTP/2 200\r\n\r\n',
    'two different lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
    'a length list that disagrees': 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok!',
    'a length that is not a number': 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    'length and chunked together': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    'NUL in a header': 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok',
    'obsolete line folding': 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok',
    'space before the colon': 'HTTP/1.1 200 OK\r\nX-A : a\r\nContent-Length: 0\r\n\r\n',
    'a header line without a colon': 'HTTP/1.1 200 OK\r\nnonsense\r\nContent-Length: 0\r\n\r\n',
    'a bare LF inside a line': 'HTTP/1.1 200 OK\r\nX-A: a\nb\r\nContent-Length: 0\r\n\r\n',
    'a protocol switch nobody asked for': 'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    'a chunk size that is not hex': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'chunk data without its CRLF': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n',
    'a chunk size past 2^53': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n',
    // A size line with no digits would end the body where llhttp (and the server) see none.
    'a chunk size line without digits': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n\r\n\r\n',
    'a chunk size line of only an extension': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n\r\n',
    'a chunk size after whitespace': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nok\r\n0\r\n\r\n',
    'a chunk extension with a bare LF': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nb\r\nok\r\n0\r\n\r\n',
    'a chunk trailer section ended by a bare LF': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n',
    'a chunk trailer line ended by a bare LF': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: t\n\r\n',
    'a status code below 100': 'HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n',
    // Only SP and HTAB are whitespace around a value (RFC 9110 §5.5), not latin1's no-break space.
    'a length behind a no-break space': 'HTTP/1.1 200 OK\r\nContent-Length: \xa02\r\n\r\nok',
  }
  for (const [what, text] of Object.entries(cases)) {
    test(what, () => {
      let heads = 0
      const parser = new H1ResponseParser({ onHead: () => void heads++, onBody: () => {}, onEnd: () => {} })
      parser.start('GET')
      assert.throws(() => parser.execute(Buffer.from(text, 'latin1')), ResponseParseError)
      // Framing errors in the head never reach the sink (the proxy can still answer 502).
      if (!what.startsWith('chunk') && !what.startsWith('a chunk')) assert.equal(heads, 0)
    })
  }

  test('a head larger than the limit, in one read or many', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'h'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`
    fails([big])
    fails([...Array.from({ length: 70 }, () => 'x'.repeat(1024))])
  })

  test('bytes before any request was sent', () => {
    const parser = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} })
    assert.throws(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), ResponseParseError)
  })
})

test('an abandoned response ignores what follows', () => {
  const parser = new H1ResponseParser({
    onHead: () => parser.abandon(),
    onBody: () => assert.fail('no body after abandon'),
    onEnd: () => assert.fail('no end after abandon'),
  })
  parser.start('GET')
  parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))
  assert.equal(parser.done, false)
})

test('the parser is reused for the next response on the connection', () => {
  const bodies: string[] = []
  const parser = new H1ResponseParser({ onHead: () => {}, onBody: (c) => void bodies.push(c.toString()), onEnd: () => {} })
  for (const body of ['one', 'two']) {
    parser.start('GET')
    parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n${body}`))
    assert.equal(parser.done, true)
  }
  assert.deepEqual(bodies, ['one', 'two'])
})
