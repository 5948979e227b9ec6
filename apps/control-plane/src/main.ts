// Control plane process: Admin API on KONG_ADMIN_LISTEN over Postgres (or PGlite).

import { createLogger } from '@switchyard/log'
import http from 'node:http'
import { loadControlPlaneConfig } from './config.js'
import { createControlPlane } from './control-plane.js'

const config = loadControlPlaneConfig()
const log = createLogger({ level: config.logLevel, bindings: { app: 'control-plane' } })
const cp = await createControlPlane({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  log,
})
if (config.adminListen) {
  const server = http.createServer(cp.app)
  cp.counters.watch(server)
  const { host, port } = config.adminListen
  server.listen(port, host, () => log.info({ host, port, database: cp.database.kind }, 'admin API listening'))
}
