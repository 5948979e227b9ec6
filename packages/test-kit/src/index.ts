// Test helpers (dev only): real Postgres databases, real upstream servers on port 0.
export { createTestDatabase, ADMIN_PG_URL, type TestDatabase } from './postgres.js'
export { startUpstream, type UpstreamServer, type SeenRequest, type Handler } from './upstream-server.js'
