// createAdminApp(deps): the Kong-compatible Admin API as an Express app, without listening.
// Every response carries Kong's headers; unknown paths are 404, known paths with another
// method 405; nothing a client sends can produce anything but a Kong-style answer.

import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { Logger } from '@switchyard/log'
import type { AdminDeps } from './endpoints/context.js'
import { adminAuth } from './http/admin-auth.js'
import { AdminRouter } from './http/dispatch.js'
import { SERVER_HEADER, sendMessage } from './http/respond.js'
import { mountCaCertificates } from './routes/ca-certificates.js'
import { mountCertificates } from './routes/certificates.js'
import { mountRoot, type NodeInfo } from './routes/root.js'
import { mountConsumers } from './routes/consumers.js'
import { mountPlugins } from './routes/plugins.js'
import { mountSchemas } from './routes/schemas.js'
import { mountServicesAndRoutes } from './routes/services-routes.js'
import { mountUpstreams } from './routes/upstreams.js'

export interface AdminAppOptions {
  deps: AdminDeps
  node: NodeInfo
  log: Logger
  /** Extra mounts (health endpoints, metrics) added by later layers. */
  extend?: (router: AdminRouter) => void
  /** When set, every request but CORS preflights must present it (SWITCHYARD_ADMIN_TOKEN). */
  adminToken?: string | undefined
}

export interface AdminApp {
  app: Express
  router: AdminRouter
}

function kongHeaders(req: Request, res: Response, next: NextFunction): void {
  const started = performance.now()
  res.setHeader('Server', SERVER_HEADER)
  // Echo the caller's origin so browsers accept credentials; `*` when there is none.
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*')
  res.setHeader('Access-Control-Allow-Credentials', 'true')
  if (req.headers.origin) res.setHeader('Vary', 'Origin')
  const writeHead = res.writeHead
  res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
    if (!this.headersSent) {
      this.setHeader('X-Kong-Admin-Latency', String(Math.round(performance.now() - started)))
    }
    return writeHead.apply(this, args)
  } as typeof writeHead
  next()
}

export function createAdminApp(opts: AdminAppOptions): AdminApp {
  const { deps, node, log } = opts
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(kongHeaders)
  if (opts.adminToken) app.use(adminAuth(opts.adminToken))

  const onError = (err: unknown, res: Response) => {
    log.error({ err }, 'admin request failed')
    if (!res.headersSent) sendMessage(res, 500, 'An unexpected error occurred')
    else res.end()
  }
  const router = new AdminRouter(app, onError)
  mountRoot(router, deps, node)
  mountUpstreams(router, deps)
  mountServicesAndRoutes(router, deps)
  mountConsumers(router, deps)
  mountPlugins(router, deps)
  mountCertificates(router, deps)
  mountCaCertificates(router, deps)
  mountSchemas(router)
  opts.extend?.(router)

  app.use((req, res) => {
    if (req.method === 'HEAD') {
      res.statusCode = 404
      res.end()
      return
    }
    sendMessage(res, 404, 'Not found')
  })
  // Express reports malformed URLs (bad percent-encoding) and similar client errors here.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status
    if (status && status >= 400 && status < 500) {
      if (!res.headersSent) sendMessage(res, status, 'Bad request')
      return
    }
    onError(err, res)
  })
  return { app, router }
}
