// The configuration store: one DAO per entity and a write transaction that appends every
// change to the `config_events` outbox in the same commit, as the cluster protocol requires.

import { ENTITIES, type Entity, type EntityName } from '@switchyard/entities'
import { asc, desc, gt, lte, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import type pg from 'pg'
import type { Database, Db } from './connect.js'
import { EntityDao } from './entity-dao.js'
import { clusterEpoch, configEvents, TABLES } from './tables.js'

export type ChangeOp = 'upsert' | 'delete'

/** One committed change, as stored in the outbox. */
export interface OutboxEvent {
  version: number
  entity: EntityName
  op: ChangeOp
  id: string
  /** The entity after the change (upsert) or the deleted entity (delete). */
  payload: Entity | null
}

/** Where the outbox stands: the database's epoch and its newest committed version. */
export interface OutboxHead {
  epoch: string
  version: number
}

/** Handed to a write: the transaction and a way to record each change it makes. */
export interface WriteTx {
  q: Db
  record(entity: EntityName, op: ChangeOp, row: Entity): Promise<void>
}

export type Daos = { [K in EntityName]: EntityDao }

const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[]

// Any constant works; every control plane must use the same one (migration 0007's trigger
// takes it too).
const WRITE_LOCK_KEY = 727_002

/**
 * Ends a Postgres write in one round trip: appends its outbox rows (provisional versions until
 * the commit-time trigger gives the real ones), commits, and reads the last version the commit
 * took. One multi-statement text, so the values are inlined as escaped literals.
 */
function outboxCommitText(client: pg.PoolClient, events: readonly OutboxEvent[]): string {
  const rows = events.map(
    (e) =>
      `(-nextval('config_events_provisional_seq'), ${client.escapeLiteral(e.entity)}, ${client.escapeLiteral(e.op)}, ` +
      `${client.escapeLiteral(e.id)}::uuid, ${client.escapeLiteral(JSON.stringify(e.payload))}::jsonb)`
  )
  const insert =
    rows.length > 0 ? `insert into config_events (version, entity, op, entity_id, payload) values ${rows.join(', ')}; ` : ''
  return `${insert}commit; select current_setting('switchyard.last_version', true) as v, (select epoch::text from cluster_epoch limit 1) as epoch`
}

/** The last version a commit took and the epoch after it, from the multi-statement COMMIT's results. */
function commitResult(results: unknown): { last: number | undefined; epoch: string | undefined } {
  const list = Array.isArray(results) ? (results as pg.QueryResult[]) : [results as pg.QueryResult]
  const row = list[list.length - 1]?.rows[0] as { v?: unknown; epoch?: unknown } | undefined
  const n = typeof row?.v === 'string' && row.v !== '' ? Number(row.v) : NaN
  return {
    last: Number.isSafeInteger(n) && n > 0 ? n : undefined,
    epoch: typeof row?.epoch === 'string' ? row.epoch : undefined,
  }
}

/** Told of every committed write with events: the events in version order, and the epoch they belong to when known. */
export type CommitWatcher = (events: readonly OutboxEvent[], epoch: string | undefined) => void

export class Store {
  readonly daos: Daos

  constructor(readonly database: Database) {
    const daos: Partial<Daos> = {}
    for (const name of ENTITY_NAMES) daos[name] = new EntityDao(ENTITIES[name], TABLES[name])
    this.daos = daos as Daos
  }

  /** Reads outside a transaction. */
  get q(): Db {
    return this.database.db
  }

  private readonly watchers: CommitWatcher[] = []

  /** Calls `watcher` after every commit that recorded events (the control plane's outbox tail). */
  watchCommits(watcher: CommitWatcher): void {
    this.watchers.push(watcher)
  }

  private committed(events: readonly OutboxEvent[], epoch: string | undefined): void {
    if (events.length === 0) return
    for (const w of this.watchers) {
      try {
        w(events, epoch)
      } catch {
        // A watcher's failure is its own; the write has committed.
      }
    }
  }

  /** Drizzle over one pooled connection, made once per connection. */
  private readonly onClient = new WeakMap<pg.PoolClient, Db>()

  /**
   * Runs `fn` in one transaction; every change it records is appended to the outbox in the
   * same commit. Returns the result and the committed events (in version order).
   *
   * Versions are in commit order, so a data plane that sees version V+1 knows V is visible.
   * On Postgres they are given at commit time by migration 0007's trigger, under a lock held
   * only for the commit itself (docs/decisions/0005-commit-time-versions.md); PGlite runs one
   * transaction at a time, so the version an insert takes is already in commit order.
   */
  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<{ result: T; events: OutboxEvent[] }> {
    const pool = this.database.kind === 'postgres' ? this.database.pool : undefined
    return pool ? this.writeAtCommit(pool, fn) : this.writeInOrder(fn)
  }

  private async writeInOrder<T>(fn: (tx: WriteTx) => Promise<T>): Promise<{ result: T; events: OutboxEvent[] }> {
    const events: OutboxEvent[] = []
    const result = await this.database.db.transaction(async (q) => {
      const tx: WriteTx = {
        q: q as unknown as Db,
        record: async (entity, op, row) => {
          const id = String(row['id'])
          const inserted = await q
            .insert(configEvents)
            .values({ entity, op, entity_id: id, payload: row })
            .returning({ version: configEvents.version })
          events.push({ version: inserted[0]!.version, entity, op, id, payload: row })
        },
      }
      return fn(tx)
    })
    this.committed(events, undefined)
    return { result, events }
  }

  private async writeAtCommit<T>(
    pool: pg.Pool,
    fn: (tx: WriteTx) => Promise<T>
  ): Promise<{ result: T; events: OutboxEvent[] }> {
    const client = await pool.connect()
    // A connection whose state is unknown (a failed COMMIT or ROLLBACK) is closed, not reused.
    let broken = false
    try {
      await client.query('begin')
      let q = this.onClient.get(client)
      if (!q) {
        q = drizzle(client) as unknown as Db
        this.onClient.set(client, q)
      }
      const events: OutboxEvent[] = []
      const tx: WriteTx = {
        q,
        // Appended at commit, in the same round trip (outboxCommitText).
        record: async (entity, op, row) => {
          events.push({ version: 0, entity, op, id: String(row['id']), payload: row })
        },
      }
      let result: T
      let committed: unknown
      try {
        result = await fn(tx)
        committed = await client.query(outboxCommitText(client, events))
      } catch (err) {
        // The write failed, a statement before COMMIT did (the transaction is aborted), or the
        // connection did.
        await client.query('rollback').catch(() => {
          broken = true
        })
        throw err
      }
      if (events.length > 0) {
        // The trigger gave this transaction's rows consecutive versions, in insertion order,
        // while it held the lock; the setting holds the last of them.
        const { last, epoch } = commitResult(committed)
        const lastVersion = last ?? (await this.latestVersion())
        events.forEach((e, i) => (e.version = lastVersion - events.length + 1 + i))
        this.committed(events, last === undefined ? undefined : epoch)
      }
      return { result, events }
    } finally {
      client.release(broken)
    }
  }

  /** Newest committed version (0 when nothing was ever written). */
  async latestVersion(q: Db = this.q): Promise<number> {
    const rows = await q
      .select({ version: configEvents.version })
      .from(configEvents)
      .orderBy(desc(configEvents.version))
      .limit(1)
    return rows[0]?.version ?? 0
  }

  /** This database's cluster epoch (see tables.ts `clusterEpoch`). */
  async epoch(q: Db = this.q): Promise<string> {
    const rows = await q.select({ epoch: clusterEpoch.epoch }).from(clusterEpoch).limit(1)
    const epoch = rows[0]?.epoch
    if (!epoch) throw new Error('cluster_epoch has no row: migrations incomplete')
    return epoch
  }

  /** Epoch and newest version in one round trip. */
  async head(q: Db = this.q): Promise<OutboxHead> {
    const rows = await q.execute(
      sql`select e.epoch::text as epoch, (select max(version) from config_events) as version from cluster_epoch e limit 1`
    )
    const row = (rows as unknown as { rows: { epoch: string; version: string | number | null }[] }).rows[0]
    if (!row) throw new Error('cluster_epoch has no row: migrations incomplete')
    return { epoch: row.epoch, version: row.version === null ? 0 : Number(row.version) }
  }

  /** Epoch, newest and oldest retained version in one round trip (the events endpoint's check). */
  async outboxBounds(): Promise<OutboxHead & { oldest: number }> {
    const rows = await this.q.execute(
      sql`select e.epoch::text as epoch, (select max(version) from config_events) as version,
                 (select min(version) from config_events) as oldest
          from cluster_epoch e limit 1`
    )
    const row = (rows as unknown as { rows: { epoch: string; version: string | number | null; oldest: string | number | null }[] }).rows[0]
    if (!row) throw new Error('cluster_epoch has no row: migrations incomplete')
    return {
      epoch: row.epoch,
      version: row.version === null ? 0 : Number(row.version),
      oldest: row.oldest === null ? 0 : Number(row.oldest),
    }
  }

  /**
   * Starts a new epoch: every follower reloads a snapshot. Called when a control plane cannot
   * rule out that versions went backwards (a restored backup reuses the old epoch).
   * Serialised with writes, so no follower mixes events of two epochs.
   */
  async rotateEpoch(): Promise<string> {
    return this.database.db.transaction(async (q) => {
      // Serialised with commits (the version trigger takes the same lock), so no follower
      // mixes events of two epochs.
      if (this.database.kind === 'postgres') await q.execute(sql`select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`)
      const rows = await q
        .update(clusterEpoch)
        .set({ epoch: sql`gen_random_uuid()`, updated_at: sql`now()` })
        .returning({ epoch: clusterEpoch.epoch })
      return rows[0]!.epoch
    })
  }

  /** Outbox events after `version`, oldest first. */
  async eventsAfter(version: number, limit = 10_000): Promise<OutboxEvent[]> {
    const rows = await this.q
      .select()
      .from(configEvents)
      .where(gt(configEvents.version, version))
      .orderBy(asc(configEvents.version))
      .limit(limit)
    return rows.map((r) => ({
      version: r.version,
      entity: r.entity as EntityName,
      op: r.op as ChangeOp,
      id: r.entity_id,
      payload: (r.payload as Entity | null) ?? null,
    }))
  }

  /** Oldest version still in the outbox (0 when empty). */
  async oldestVersion(): Promise<number> {
    const rows = await this.q
      .select({ version: configEvents.version })
      .from(configEvents)
      .orderBy(asc(configEvents.version))
      .limit(1)
    return rows[0]?.version ?? 0
  }

  /** Deletes all but the newest `keep` outbox rows; returns how many were deleted. */
  async pruneEvents(keep: number): Promise<number> {
    const latest = await this.latestVersion()
    const cutoff = latest - keep
    if (cutoff <= 0) return 0
    const deleted = await this.q
      .delete(configEvents)
      .where(lte(configEvents.version, cutoff))
      .returning({ version: configEvents.version })
    return deleted.length
  }

  /** Every entity and the version they reflect, read in one consistent transaction. */
  async snapshot(): Promise<{ epoch: string; version: number; entities: { [K in EntityName]: Entity[] } }> {
    return this.database.db.transaction(async (tx) => {
      const q = tx as unknown as Db
      if (this.database.kind === 'postgres') {
        await q.execute(sql`set transaction isolation level repeatable read`)
      }
      const { epoch, version } = await this.head(q)
      // One connection per transaction: read one table after another. Expired rows are
      // included: data planes check expiry themselves, and the hash must not move with time.
      const entities: Partial<{ [K in EntityName]: Entity[] }> = {}
      for (const name of ENTITY_NAMES) entities[name] = await this.daos[name].all(q, { includeExpired: true })
      return { epoch, version, entities: entities as { [K in EntityName]: Entity[] } }
    })
  }
}
