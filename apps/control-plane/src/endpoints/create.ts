// Creating one entity: resolve foreign keys, build the row, insert it and its outbox event.

import type { EntityDao } from '@switchyard/db'
import { presented, type EntityHooks } from './hooks.js'
import { prepareCreate, type Entity, type EntityName } from '@switchyard/entities'
import { writeContext, type AdminDeps } from './context.js'
import { fail } from './fail.js'
import { resolveForeign } from './lookup.js'
import { purgeExpired } from './ttl.js'

export async function createEntity(
  deps: AdminDeps,
  dao: EntityDao,
  input: Entity,
  hooks: EntityHooks = {}
): Promise<Entity> {
  const fkErr = await resolveForeign(dao.def, input, deps.store.daos, deps.store.q)
  if (fkErr) fail(fkErr)
  const prepared = prepareCreate(dao.def, input, writeContext(deps))
  if (!prepared.ok) fail(prepared.error)
  const { result } = await deps.store.write(async (tx) => {
    await purgeExpired(tx, dao, deps.now())
    const row = await dao.insert(tx.q, prepared.entity)
    await tx.record(dao.def.name as EntityName, 'upsert', row)
    await hooks.afterWrite?.(tx, row, { prepared: prepared.entity, input, op: 'insert' })
    return row
  })
  return presented(deps, hooks, result)
}
