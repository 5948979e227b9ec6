// Empties every configuration table and the outbox (restarting its version sequence), so a
// test suite can share one database: creating a database or a PGlite instance per test would
// cost seconds each.

import { sql } from 'drizzle-orm'
import type { Database } from './connect.js'

/** Deletes all entities and outbox events. For tests only: it bypasses the outbox. */
export async function resetForTests(database: Database): Promise<void> {
  await database.db.execute(
    sql`TRUNCATE upstreams, targets, services, routes, consumers, plugins, keyauth_credentials, snis, certificates, ca_certificates, config_events RESTART IDENTITY CASCADE`
  )
  // Versions start again at 1: that is a new epoch, as for a recreated database.
  await database.db.execute(sql`UPDATE cluster_epoch SET epoch = gen_random_uuid(), updated_at = now()`)
}
