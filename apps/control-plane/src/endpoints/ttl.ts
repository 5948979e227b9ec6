// Kong's `ttl` for entities that expire (key-auth credentials): the Admin API takes `ttl` as
// seconds from now and shows the seconds left; rows store the expiry (epoch seconds), so the
// outbox, snapshots and the config hash do not change as time passes.

import type { EntityDao, WriteTx } from '@switchyard/db'
import { invalidOptions, type Entity, type EntityDefinition, type EntityName, type KongError } from '@switchyard/entities'

const MAX_TTL = 100_000_000

/** Rewrites `input.ttl` (seconds from now) into the expiry; an error for a bad value. */
export function ttlFromInput(def: EntityDefinition, input: Entity, nowMs: number): KongError | undefined {
  if (!('ttl' in input)) return undefined
  const raw = input['ttl']
  if (!def.ttl) return invalidOptions('ttl', `cannot be used with '${def.name}'`)
  if (raw === null) return undefined
  const ttl = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) return invalidOptions('ttl', 'must be a number')
  if (ttl < 0 || ttl > MAX_TTL || !Number.isInteger(ttl)) {
    return invalidOptions('ttl', `must be an integer between 0 and ${MAX_TTL}`)
  }
  // 0: no expiry, as in Kong's Postgres strategy.
  input['ttl'] = ttl === 0 ? null : Math.floor(nowMs / 1000) + ttl
  return undefined
}

/** The entity as the Admin API shows it: `ttl` as seconds left, absent when it never expires. */
export function presentEntity(def: EntityDefinition, entity: Entity, nowMs: number): Entity {
  if (!def.ttl) return entity
  const { ttl, ...rest } = entity
  if (typeof ttl !== 'number') return rest
  return { ...rest, ttl: Math.max(0, ttl - Math.floor(nowMs / 1000)) }
}

/**
 * Removes expired rows (Kong purges them on a timer) inside a write, with their outbox events,
 * so an expired credential's key can be used again and data planes drop it too.
 */
export async function purgeExpired(tx: WriteTx, dao: EntityDao, nowMs: number): Promise<void> {
  if (!dao.def.ttl) return
  for (const row of await dao.deleteExpired(tx.q, nowMs)) await tx.record(dao.def.name as EntityName, 'delete', row)
}
