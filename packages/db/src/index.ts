// Public surface of @switchyard/db: connections (Postgres or PGlite), the store with its
// outbox, the generic entity DAO and the error mapping.

export { connectPostgres, connectPglite, postgresUrlFromParts, MIGRATIONS_FOLDER } from './connect.js'
export type { Database, Db, PostgresOptions } from './connect.js'
export { Store, type CommitWatcher, type OutboxEvent, type OutboxHead, type WriteTx, type ChangeOp, type Daos } from './store.js'
export { EntityDao, type Page, type PageQuery, type TagFilter } from './entity-dao.js'
export { DaoError } from './dao-error.js'
export { resetForTests } from './reset.js'
