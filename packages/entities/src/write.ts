// The write pipeline every Admin API write goes through, in Kong's order: shorthands and
// couplings (`prepare`), auto fields (id, timestamps), defaults or merge with the stored row,
// validation, set de-duplication. Pure: the clock and the id generator are arguments.

import { coerceEmptyTables, dedupeSets, mergeUpdate, withDefaults } from './defaults.js'
import { schemaViolation, type KongError } from './errors.js'
import type { Entity, EntityDefinition, WriteOp } from './schema.js'
import { validateEntity } from './validate.js'

export interface WriteContext {
  /** Current time in milliseconds. */
  now: number
  /** Generates a new lower-case UUID. */
  newId: () => string
}

export type WriteResult = { ok: true; entity: Entity } | { ok: false; error: KongError }

function stamp(def: EntityDefinition, entity: Entity, now: number, keepCreated: boolean): void {
  for (const [name, field] of Object.entries(def.fields)) {
    if (field.auto !== 'timestamp' && field.auto !== 'timestamp_ms') continue
    const value = field.auto === 'timestamp' ? Math.floor(now / 1000) : Math.round(now) / 1000
    if (name === 'created_at' && keepCreated && entity[name] !== undefined && entity[name] !== null) {
      continue
    }
    entity[name] = value
  }
}

function finish(def: EntityDefinition, entity: Entity, now: number, op: WriteOp): WriteResult {
  const errors = validateEntity(def, entity, { now, op })
  if (errors) return { ok: false, error: schemaViolation(errors) }
  dedupeSets(def.fields, entity)
  return { ok: true, entity }
}

function runPrepare(def: EntityDefinition, input: Entity, op: WriteOp): KongError | undefined {
  const result = def.prepare?.(input, op)
  if (result && (result.fields || result.entity)) {
    return schemaViolation({ ...(result.entity ? { '@entity': result.entity } : {}), ...result.fields })
  }
  return undefined
}

/**
 * Builds the row for a create (POST) or a replace (PUT). `stored` is the existing row for a
 * replace: its id and created_at are kept unless the input gives them.
 */
export function prepareCreate(
  def: EntityDefinition,
  input: Entity,
  ctx: WriteContext,
  op: 'insert' | 'upsert' = 'insert',
  stored?: Entity
): WriteResult {
  const entity: Entity = structuredClone(input)
  coerceEmptyTables((def.variant?.(entity) ?? def).fields, entity)
  const prepError = runPrepare(def, entity, op)
  if (prepError) return { ok: false, error: prepError }
  if (entity['id'] === undefined || entity['id'] === null) entity['id'] = stored?.['id'] ?? ctx.newId()
  if (typeof entity['id'] === 'string') entity['id'] = entity['id'].toLowerCase()
  if (stored && (entity['created_at'] === undefined || entity['created_at'] === null)) {
    entity['created_at'] = stored['created_at']
  }
  stamp(def, entity, ctx.now, true)
  for (const [name, field] of Object.entries(def.fields)) {
    // Kong's `auto = true` strings: a random 32-hex-digit value when none is given.
    if (field.auto === 'random' && (entity[name] === undefined || entity[name] === null)) {
      entity[name] = ctx.newId().replaceAll('-', '')
    }
  }
  const d = def.variant?.(entity) ?? def
  return finish(d, withDefaults(d.fields, entity), ctx.now, op)
}

/** Builds the row for a PATCH: the input is merged into the stored row, then validated. */
export function prepareUpdate(
  def: EntityDefinition,
  stored: Entity,
  input: Entity,
  ctx: WriteContext
): WriteResult {
  const patch: Entity = structuredClone(input)
  coerceEmptyTables((def.variant?.({ ...stored, ...patch }) ?? def).fields, patch)
  const prepError = runPrepare(def, patch, 'update')
  if (prepError) return { ok: false, error: prepError }
  // The primary key and creation time of an existing row do not change on PATCH.
  delete patch['id']
  const d = def.variant?.({ ...stored, ...patch }) ?? def
  const merged = mergeUpdate(d.fields, stored, patch)
  stamp(d, merged, ctx.now, true)
  return finish(d, withDefaults(d.fields, merged), ctx.now, 'update')
}
