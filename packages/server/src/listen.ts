// Starts a server on a configured address and logs where it listens, for every app's main.

import type { Logger } from '@switchyard/log'
import type { Server } from 'node:net'
import tls from 'node:tls'
import type { Listen } from './listen-address.js'

/** Resolves once `server` listens on `where`; rejects on a bind error (port in use, …). */
export function listen(server: Server, where: Listen, what: string, log: Logger): Promise<void> {
  // https.Server is a tls.Server; the proxy's TLS listener says so itself (`what`).
  const scheme = server instanceof tls.Server ? 'https' : 'http'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(where.port, where.host, () => {
      server.off('error', reject)
      log.info({ host: where.host, port: where.port }, `${what} listening on ${scheme}://${where.host}:${where.port}`)
      resolve()
    })
  })
}
