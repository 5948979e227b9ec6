// Kong's Admin API response conventions: JSON with lua-cjson's escaping of `/`, Kong's
// headers on every response, DAO errors turned into Kong's bodies and status codes.

import { isKongError, statusOf, type KongError } from '@switchyard/entities'
import type { ServerResponse } from 'node:http'

export const KONG_VERSION = '3.9.3'
export const SERVER_HEADER = `kong/${KONG_VERSION}`

/** JSON text as lua-cjson writes it: forward slashes escaped. */
export function kongJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/')
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = kongJson(value)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(body))
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

export function sendMessage(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message })
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.statusCode = status
  res.removeHeader('Content-Type')
  res.end()
}

export function sendKongError(res: ServerResponse, err: KongError): void {
  const status = statusOf(err)
  if (status >= 500) {
    sendMessage(res, 500, 'An unexpected error occurred')
    return
  }
  sendJson(res, status, err)
}

export { isKongError }
