// The Admin API's routing contract, after kong/api/api_helpers.lua: one table of paths, each
// with its method handlers; HEAD is served by GET, OPTIONS lists the methods, a known path
// with an unsupported method is 405, anything else 404. Handlers get a small context.

import {
  decodePairs,
  inferFields,
  isKongError,
  statusOf,
  type Entity,
  type EntityDefinition,
  type Fields,
} from '@switchyard/entities'
import type { Express, Request, Response } from 'express'
import { MAX_ARGS, readBody } from './body.js'
import { sendEmpty, sendKongError, sendMessage } from './respond.js'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface Ctx {
  req: Request
  res: Response
  params: Record<string, string>
  /** First value of each query argument. */
  query: Record<string, string>
  /**
   * The request body decoded for `def` (form values coerced by its schema). `stored` is the
   * entity being updated, for definitions whose schema depends on a stored field (plugins).
   */
  input(def: EntityDefinition, extra?: Fields, stored?: Entity): Promise<Entity | undefined>
}

export type Handler = (ctx: Ctx) => Promise<void>
export type Handlers = Partial<Record<Method, Handler>>

function queryArgs(url: string): URLSearchParams {
  const q = url.indexOf('?')
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
}

function firstValues(args: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of args) if (!(k in out)) out[k] = v
  return out
}

/** Thrown by ctx.input when the response was already sent (bad body). */
class BodyRejected extends Error {}

function makeCtx(req: Request, res: Response, args: URLSearchParams): Ctx {
  return {
    req,
    res,
    params: req.params as Record<string, string>,
    query: firstValues(args),
    async input(def, extra, stored) {
      const result = await readBody(req)
      if (!result.ok) {
        if (result.error.status === 400) sendMessage(res, 400, result.error.message)
        else sendEmpty(res, result.error.status)
        throw new BodyRejected()
      }
      const body = result.body
      if (body.kind === 'empty') return {}
      if (body.kind === 'json') return body.value
      const decoded = decodePairs(body.pairs, true)
      const d = def.variant?.({ ...stored, ...decoded }) ?? def
      return inferFields(decoded, d.fields, extra)
    },
  }
}

/** A route table that knows every path, for 404/405/OPTIONS and `/endpoints`. */
export class AdminRouter {
  readonly paths: string[] = []

  constructor(
    private readonly app: Express,
    private readonly onError: (err: unknown, res: Response) => void
  ) {}

  mount(path: string, handlers: Handlers): void {
    this.paths.push(path)
    const allowed = [...Object.keys(handlers), 'OPTIONS', ...(handlers.GET ? ['HEAD'] : [])].sort()
    this.app.all(path, (req, res) => {
      const method = req.method === 'HEAD' ? 'GET' : (req.method as Method | 'OPTIONS')
      if (method === 'OPTIONS') {
        res.setHeader('Allow', allowed.join(', '))
        res.setHeader('Access-Control-Allow-Methods', allowed.join(', '))
        const reqHeaders = req.headers['access-control-request-headers']
        res.setHeader('Access-Control-Allow-Headers', reqHeaders ?? 'Content-Type')
        sendEmpty(res, 204)
        return
      }
      const handler = handlers[method]
      if (!handler) {
        sendMessage(res, 405, 'Method not allowed')
        return
      }
      // Kong refuses rather than truncates an oversized query, as it does for bodies.
      const args = queryArgs(req.originalUrl)
      if (args.size > MAX_ARGS) {
        sendMessage(res, 400, 'Too many arguments')
        return
      }
      handler(makeCtx(req, res, args)).catch((err: unknown) => {
        if (err instanceof BodyRejected) return
        const kong = (err as { kong?: unknown }).kong
        // A database error (5xx) goes to onError, which logs it: a 500 nobody can trace is a
        // bug nobody fixes.
        if (isKongError(kong) && statusOf(kong) < 500) {
          sendKongError(res, kong)
          return
        }
        this.onError(err, res)
      })
    })
  }
}
