// Control plane process: Admin API on KONG_ADMIN_LISTEN over Postgres (or PGlite). With
// KONG_ROLE=control_plane it also serves the cluster endpoints on KONG_CLUSTER_LISTEN and
// publishes commits on Redis; that role needs Postgres, Redis and the cluster token.

import { MemoryHealthStore, RedisHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import http from 'node:http'
import { createClusterApp, StatusCache } from './cluster/cluster-app.js'
import { OutboxPublisher } from './cluster/publisher.js'
import { loadControlPlaneConfig } from './config.js'
import { createControlPlane } from './control-plane.js'
import { adminExposureWarning } from './http/admin-auth.js'
import { listen } from '@switchyard/server'

const config = loadControlPlaneConfig()
const log = createLogger({ level: config.logLevel, bindings: { app: 'control-plane' } })

if (config.role === 'control_plane') {
  const missing = [
    !config.databaseUrl && 'DATABASE_URL (or KONG_PG_HOST)',
    !config.redisUrl && 'REDIS_URL',
    !config.clusterToken && 'SWITCHYARD_CLUSTER_TOKEN',
  ].filter(Boolean)
  if (missing.length > 0) {
    log.fatal({ missing }, `KONG_ROLE=control_plane needs ${missing.join(', ')}`)
    process.exit(1)
  }
}

let publisher: OutboxPublisher | undefined
// In a cluster the health state every data plane follows lives in Redis.
const healthStore =
  config.role === 'control_plane' ? new RedisHealthStore({ url: config.redisUrl! }) : new MemoryHealthStore()
const cp = await createControlPlane({
  healthStore,
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  log,
  onCommit: (events) => publisher?.committed(events),
  configuration: { role: config.role },
  adminToken: config.adminToken,
})


const exposed = adminExposureWarning(config.adminListen, config.adminToken)
if (exposed) log.warn({ listen: config.adminListen }, exposed)
if (config.adminListen) {
  const server = http.createServer(cp.app)
  cp.counters.watch(server)
  await listen(server, config.adminListen, 'admin API', log)
}
if (config.role === 'control_plane' && config.clusterListen) {
  publisher = new OutboxPublisher(config.redisUrl!, cp.store, log)
  publisher.start()
  const cluster = http.createServer(createClusterApp(cp.store, config.clusterToken!, new StatusCache(cp.store)))
  await listen(cluster, config.clusterListen, 'cluster endpoints', log)
}
log.info({ role: config.role, database: cp.database.kind }, 'control plane started')

const shutdown = async () => {
  await publisher?.close()
  await healthStore.close()
  await cp.close().catch(() => {})
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
