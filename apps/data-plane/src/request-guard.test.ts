import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PROXY_ERRORS } from './proxy-errors.js'
import { checkRequestHead, clientErrorReply, rawErrorResponse, type RequestHead } from './request-guard.js'

const LINE = 8192

function head(over: Partial<RequestHead> = {}): RequestHead {
  return { method: 'GET', url: '/', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders: ['Host', 'a.test'], ...over }
}

describe('checkRequestHead', () => {
  const cases: [string, Partial<RequestHead>, (typeof PROXY_ERRORS)[keyof typeof PROXY_ERRORS] | null][] = [
    ['plain GET', {}, null],
    ['HTTP/1.0 without Host', { httpVersionMinor: 0, rawHeaders: [] }, null],
    ['HTTP/1.1 without Host', { rawHeaders: [] }, PROXY_ERRORS.BAD_REQUEST],
    ['two Hosts', { rawHeaders: ['Host', 'a', 'host', 'b'] }, PROXY_ERRORS.BAD_REQUEST],
    ['HTTP/0.9', { httpVersionMajor: 0, httpVersionMinor: 9 }, PROXY_ERRORS.BAD_REQUEST],
    ['HTTP/1.2', { httpVersionMinor: 2 }, PROXY_ERRORS.BAD_REQUEST],
    ['HTTP/2.0', { httpVersionMajor: 2, httpVersionMinor: 0 }, PROXY_ERRORS.BAD_REQUEST],
    ['absolute-form', { url: 'http://evil.test/' }, PROXY_ERRORS.BAD_REQUEST],
    ['asterisk-form', { method: 'OPTIONS', url: '*' }, PROXY_ERRORS.BAD_REQUEST],
    ['authority-form', { url: 'evil.test:443' }, PROXY_ERRORS.BAD_REQUEST],
    ['request line at the limit', { url: '/' + 'a'.repeat(LINE - 16) }, null],
    ['request line over the limit', { url: '/' + 'a'.repeat(LINE) }, PROXY_ERRORS.URI_TOO_LONG],
    ['header line over the limit', { rawHeaders: ['Host', 'a', 'X', 'v'.repeat(LINE)] }, PROXY_ERRORS.HEADER_TOO_LARGE],
    ['header line at the limit', { rawHeaders: ['Host', 'a', 'X', 'v'.repeat(LINE - 5)] }, null],
    ['chunked', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked'] }, null],
    ['Chunked, spaced', { rawHeaders: ['Host', 'a', 'transfer-encoding', ' Chunked '] }, null],
    ['gzip, chunked', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'gzip, chunked'] }, PROXY_ERRORS.BAD_REQUEST],
    ['chunked twice', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Transfer-Encoding', 'chunked'] }, PROXY_ERRORS.BAD_REQUEST],
    ['chunked on HTTP/1.0', { httpVersionMinor: 0, rawHeaders: ['Transfer-Encoding', 'chunked'] }, PROXY_ERRORS.BAD_REQUEST],
    ['chunked with Content-Length', { rawHeaders: ['Host', 'a', 'Transfer-Encoding', 'chunked', 'Content-Length', '3'] }, PROXY_ERRORS.BAD_REQUEST],
    ['Content-Length', { rawHeaders: ['Host', 'a', 'Content-Length', '3'] }, null],
    ['Content-Length twice', { rawHeaders: ['Host', 'a', 'Content-Length', '3', 'Content-Length', '3'] }, PROXY_ERRORS.BAD_REQUEST],
    ['Content-Length not digits', { rawHeaders: ['Host', 'a', 'Content-Length', '0x3'] }, PROXY_ERRORS.BAD_REQUEST],
  ]
  for (const [name, over, expected] of cases) {
    it(name, () => assert.equal(checkRequestHead(head(over), LINE), expected))
  }
})

describe('clientErrorReply', () => {
  const cases: [string, { code?: string; rawPacket?: Buffer }, unknown][] = [
    ['reset', { code: 'ECONNRESET' }, null],
    ['no code', {}, null],
    ['header timeout', { code: 'ERR_HTTP_REQUEST_TIMEOUT' }, PROXY_ERRORS.REQUEST_TIMEOUT],
    ['parse error', { code: 'HPE_INVALID_CHUNK_SIZE' }, PROXY_ERRORS.BAD_REQUEST],
    ['overflow in the request line', { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from('GET /aaaa') }, PROXY_ERRORS.URI_TOO_LONG],
    ['overflow after the request line', { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from('GET / HTTP/1.1\r\nX: aaa') }, PROXY_ERRORS.HEADER_TOO_LARGE],
    ['overflow in a later packet', { code: 'HPE_HEADER_OVERFLOW', rawPacket: Buffer.from('aaaaaaa') }, PROXY_ERRORS.HEADER_TOO_LARGE],
  ]
  for (const [name, err, expected] of cases) it(name, () => assert.equal(clientErrorReply(err), expected))
})

describe('rawErrorResponse', () => {
  it('is a complete response that closes the connection', () => {
    const text = rawErrorResponse(PROXY_ERRORS.URI_TOO_LONG, 'kong/3.9.3', 'URI Too Long')
    assert.equal(
      text,
      'HTTP/1.1 414 URI Too Long\r\nServer: kong/3.9.3\r\nContent-Type: application/json; charset=utf-8\r\n' +
        'Content-Length: 26\r\nConnection: close\r\n\r\n{"message":"URI too long"}'
    )
  })
})
