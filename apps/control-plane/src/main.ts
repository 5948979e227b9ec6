// Control plane process: Admin API on KONG_ADMIN_LISTEN over Postgres (or PGlite). With
// KONG_ROLE=control_plane it also serves the cluster endpoints on KONG_CLUSTER_LISTEN and
// publishes commits on Redis; that role needs Postgres, Redis and the cluster token.

import { MemoryAiStore, MemoryHealthStore, RedisAiStore, RedisHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import http from 'node:http'
import https from 'node:https'
import { createClusterApp } from './cluster/cluster-app.js'
import { OutboxTail } from './cluster/outbox-tail.js'
import { OutboxPublisher } from './cluster/publisher.js'
import { loadControlPlaneConfig } from './config.js'
import { createControlPlane } from './control-plane.js'
import { adminExposureWarning } from './http/admin-auth.js'
import { listen } from '@switchyard/server'

const config = (() => {
  try {
    return loadControlPlaneConfig()
  } catch (err) {
    // A configuration mistake is one clear line, not a stack trace.
    createLogger({ bindings: { app: 'control-plane' } }).fatal({}, (err as Error).message)
    process.exit(1)
  }
})()
const log = createLogger({ level: config.logLevel, bindings: { app: 'control-plane' } })

if (config.role === 'control_plane') {
  const missing = [
    !config.databaseUrl && 'DATABASE_URL (or KONG_PG_HOST)',
    !config.redisUrl && 'REDIS_URL',
    !config.clusterToken && 'SWITCHYARD_CLUSTER_TOKEN',
    !config.clusterTls && !config.clusterPlainHttp && 'KONG_CLUSTER_CERT and KONG_CLUSTER_CERT_KEY (or SWITCHYARD_CLUSTER_PLAIN_HTTP=on)',
  ].filter(Boolean)
  if (missing.length > 0) {
    log.fatal({ missing }, `KONG_ROLE=control_plane needs ${missing.join(', ')}`)
    process.exit(1)
  }
}

let publisher: OutboxPublisher | undefined
/** The newest outbox events, served to data planes from memory (cluster/outbox-tail.ts); only with a cluster listener. */
const tail = config.role === 'control_plane' && config.clusterListen ? new OutboxTail() : undefined
// In a cluster the health state every data plane follows lives in Redis.
const healthStore =
  config.role === 'control_plane' ? new RedisHealthStore({ url: config.redisUrl! }) : new MemoryHealthStore()
// Cooldowns, provider windows and budgets of AI-aware balancing, shown by /upstreams/{u}/health.
const aiStore = config.role === 'control_plane' ? new RedisAiStore({ url: config.redisUrl! }) : new MemoryAiStore()
const cp = await createControlPlane({
  healthStore,
  aiStore,
  databaseUrl: config.databaseUrl,
  postgres: config.postgres,
  dataDir: config.dataDir,
  log,
  onCommit: (events, epoch) => {
    tail?.add(events, epoch)
    publisher?.committed(events)
  },
  configuration: { ...config.configuration, role: config.role },
  role: config.role,
  adminToken: config.adminToken,
})


const exposed = adminExposureWarning(config.adminListen, config.adminToken)
if (exposed) log.warn({ listen: config.adminListen }, exposed)
if (config.adminListen) {
  const server = http.createServer(cp.app)
  cp.counters.watch(server)
  await listen(server, config.adminListen, 'admin API', log)
}
if (config.role === 'control_plane') {
  // This process cannot know whether its database was restored or recreated while it was
  // down, so it starts a new epoch: every data plane reloads one (cached) snapshot instead of
  // trusting a version number that may now name other content.
  const epoch = await cp.store.rotateEpoch()
  log.info({ epoch }, 'started a new cluster epoch')
}
if (config.role === 'control_plane' && config.clusterListen && tail) {
  publisher = new OutboxPublisher(config.redisUrl!, cp.store, log, (head) => tail.sawHead(head.epoch, head.version))
  publisher.start()
  const app = createClusterApp(cp.store, config.clusterToken!, { tls: config.clusterTls, tail })
  const tls = config.clusterTls
  const cluster = tls
    ? https.createServer(
        // Ask every client for the shared certificate; the app refuses the config endpoints to
        // one that does not present it (/status stays open for health checks).
        { cert: tls.cert, key: tls.key, ca: [tls.cert], requestCert: true, rejectUnauthorized: false },
        app
      )
    : http.createServer(app)
  if (!tls) log.warn({}, 'cluster listener serves plain HTTP (SWITCHYARD_CLUSTER_PLAIN_HTTP=on)')
  await listen(cluster, config.clusterListen, 'cluster endpoints', log)
}
log.info({ role: config.role, database: cp.database.kind, database_tls: cp.database.tls }, 'control plane started')

const shutdown = async () => {
  await publisher?.close()
  await healthStore.close()
  await aiStore.close()
  await cp.close().catch(() => {})
  process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
