// What an entity does beyond the generic endpoints, as hooks the CRUD factory calls: a
// certificate keeps its SNIs in step with its `snis` shorthand and shows them on reads; a CA
// certificate refuses deletion while services trust it.

import type { Db, WriteTx } from '@switchyard/db'
import type { Entity, WriteOp } from '@switchyard/entities'
import type { AdminDeps } from './context.js'

export interface WriteInfo {
  /** The validated entity, transient fields included. */
  prepared: Entity
  /** The request's decoded input (tells a PATCH that omits a field from one that nulls it). */
  input: Entity
  op: WriteOp
}

export interface EntityHooks {
  /** Adds computed fields to entities before they are sent (reads and write results). */
  present?(q: Db, entities: Entity[]): Promise<void>
  /** Inside the write transaction, after the row was stored; may fail() to roll it back. */
  afterWrite?(tx: WriteTx, row: Entity, info: WriteInfo): Promise<void>
  /** Inside the delete transaction, before the row is deleted; may fail() to refuse. */
  beforeDelete?(tx: WriteTx, stored: Entity): Promise<void>
}

/**
 * A written row as the API shows it. A copy: the row itself is the outbox payload the
 * in-process data plane keeps, and computed fields must not leak into the configuration.
 */
export async function presented(deps: AdminDeps, hooks: EntityHooks, row: Entity): Promise<Entity> {
  if (!hooks.present) return row
  const shown = { ...row }
  await hooks.present(deps.store.q, [shown])
  return shown
}
