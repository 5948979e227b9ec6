// Resolves `{id or endpoint key}` path segments and foreign references in bodies, the way
// kong/api/endpoints.lua does: UUIDs look up by id, anything else by the endpoint key after
// validating it (an invalid key is a 400, not a 404).

import type { Db, EntityDao } from '@switchyard/db'
import {
  foreignKeyUnresolved,
  foreignKeyViolation,
  invalidUnique,
  isUuid,
  notFoundByKey,
  type Entity,
  type EntityDefinition,
  type KongError,
} from '@switchyard/entities'
import type { Daos } from '@switchyard/db'

export type Lookup =
  | { ok: true; entity: Entity | undefined; by: 'id' | 'key'; key: Record<string, string> }
  | { ok: false; error: KongError }

export async function lookupEntity(dao: EntityDao, q: Db, segment: string): Promise<Lookup> {
  const def = dao.def
  if (isUuid(segment)) {
    const id = segment.toLowerCase()
    return { ok: true, entity: await dao.findById(q, id), by: 'id', key: { id } }
  }
  const keyName = def.endpoint_key
  if (!keyName) return { ok: true, entity: undefined, by: 'key', key: { id: segment } }
  const field = def.fields[keyName]
  const msg = field?.type === 'string' ? field.check?.(segment) : undefined
  if (msg) return { ok: false, error: invalidUnique(keyName, msg) }
  return {
    ok: true,
    entity: await dao.findBy(q, keyName, segment),
    by: 'key',
    key: { [keyName]: segment },
  }
}

/** Kong's code-6 body for PATCH of a missing entity. */
export function notFoundError(lookup: Extract<Lookup, { ok: true }>): KongError {
  return notFoundByKey(lookup.key, lookup.by === 'id')
}

/**
 * Foreign references in input may be `{id}` or another unique key (`{name}`); they are
 * replaced by `{id}`. Unresolvable keys are code 13; references to collections we do not
 * serve (certificates) are foreign key violations.
 */
export async function resolveForeign(
  def: EntityDefinition,
  input: Entity,
  daos: Daos,
  q: Db
): Promise<KongError | undefined> {
  for (const [name, field] of Object.entries(def.fields)) {
    if (field.type !== 'foreign') continue
    const value = input[name]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    const ref = value as Record<string, unknown>
    const parentDao = (daos as Record<string, EntityDao | undefined>)[field.reference]
    if (typeof ref['id'] === 'string') {
      if (!parentDao && isUuid(ref['id'])) return foreignKeyViolation(name, ref['id'], field.reference)
      input[name] = { id: ref['id'].toLowerCase() }
      continue
    }
    if (ref['id'] !== undefined && ref['id'] !== null) continue
    const keyName = parentDao?.def.endpoint_key
    const keyValue = keyName ? ref[keyName] : undefined
    // Neither an id nor a usable key: left as given, so validation reports the referenced
    // entity's field errors (`service.protocol: …`) or else "missing primary key".
    if (parentDao && keyName && typeof keyValue === 'string') {
      const found = await parentDao.findBy(q, keyName, keyValue)
      if (!found) return foreignKeyUnresolved(name, { [keyName]: keyValue }, field.reference)
      input[name] = { id: found['id'] }
    }
  }
  return undefined
}
