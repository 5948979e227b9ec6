// Maps Postgres errors (node-postgres and PGlite alike) onto Kong's DAO errors. Thrown inside
// a transaction so it rolls back; the Admin API turns it into Kong's body and status.

import {
  databaseError,
  foreignKeyViolation,
  primaryKeyViolation,
  referencedBy,
  uniqueViolation,
  type Entity,
  type EntityDefinition,
  type KongError,
} from '@switchyard/entities'

export class DaoError extends Error {
  constructor(readonly kong: KongError) {
    super(kong.message)
    this.name = 'DaoError'
  }
}

interface PgErrorLike {
  code?: string
  constraint?: string
  table?: string
  message?: string
}

/** drizzle wraps driver errors in DrizzleQueryError; the driver's error is its cause. */
function driverError(err: unknown): PgErrorLike | undefined {
  let e: unknown = err
  for (let i = 0; i < 3 && e; i++) {
    if (typeof e === 'object' && e !== null && typeof (e as PgErrorLike).code === 'string') {
      return e as PgErrorLike
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** Translates a database error raised while writing `entity` of `def`. */
export function mapWriteError(
  err: unknown,
  def: EntityDefinition,
  entity: Entity,
  op: 'write' | 'delete'
): DaoError {
  if (err instanceof DaoError) return err
  const pgErr = driverError(err)
  const constraint = pgErr?.constraint ?? ''
  if (pgErr?.code === '23505') {
    if (constraint.endsWith('_pkey')) return new DaoError(primaryKeyViolation(String(entity['id'])))
    const fields: Record<string, unknown> = {}
    for (const u of def.unique ?? []) {
      const keys = typeof u === 'string' ? [u] : u
      const columns = keys.map((k) => (def.fields[k]?.type === 'foreign' ? `${k}_id` : k))
      if (constraint === `${def.name}_${columns.join('_')}_key`) {
        for (const k of keys) fields[k] = entity[k]
      }
    }
    return new DaoError(uniqueViolation(fields))
  }
  if (pgErr?.code === '23503') {
    if (op === 'delete') {
      // "<child>_<column>_<parent>_id_fk": the referencing table comes first.
      return new DaoError(referencedBy(constraint.split('_')[0] ?? 'entities', def.name))
    }
    for (const [name, field] of Object.entries(def.fields)) {
      if (field.type === 'foreign' && constraint.startsWith(`${def.name}_${name}_id_`)) {
        const id = (entity[name] as { id?: string } | null)?.id ?? ''
        return new DaoError(foreignKeyViolation(name, id, field.reference))
      }
    }
  }
  return new DaoError(databaseError(pgErr?.message ?? (err as Error)?.message ?? 'unknown error'))
}
