// Test helpers (dev only): real Postgres databases, real upstream servers on port 0.
export { createTestDatabase, ADMIN_PG_URL, type TestDatabase } from './postgres.js'
export { startUpstream, type UpstreamServer, type SeenRequest, type Handler } from './upstream-server.js'
export { startFakeProvider, type FakeProvider, type FakeProviderOptions, type ScriptedAnswer, type ProviderRequest } from './fake-provider.js'
export {
  ChildHandle,
  ControlPlaneProcess,
  DataPlaneProcess,
  RedisServerProcess,
  REPO_ROOT,
  freePort,
  getJson,
  redisCommand,
  redisServerBinary,
  sleep,
  spawnNode,
  waitFor,
  type CertFiles,
  type ConfigStatus,
  type ControlPlaneOptions,
  type DataPlaneOptions,
  type DataPlaneStatus,
  type LogLine,
  type WaitOptions,
} from './processes.js'
export { AdminClient, TestCluster, runBounded, type AdminResponse } from './cluster.js'
export { querySql } from './sql.js'
export { generateCert } from './certs.js'
export { RedisSentinelSetup, SENTINEL_MASTER } from './redis-sentinel.js'
export { PostgresServer, type PostgresServerOptions } from './postgres-server.js'
export { startGateway, type GatewayProcess } from './gateway.js'
export { tlsHandshake, httpsGet, httpGet, type HandshakeResult, type SimpleResponse } from './tls-client.js'
