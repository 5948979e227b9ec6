// Generic collection and entity endpoints for any entity definition, after
// kong/api/endpoints.lua: list with paging and tags, create (201), read, PATCH (merge),
// PUT (upsert/replace, 200), DELETE (204 even when absent). Nested collections under a
// parent (`/services/{s}/routes`) reuse the same handlers with the foreign key fixed.

import type { EntityDao, TagFilter } from '@switchyard/db'
import {
  prepareCreate,
  prepareUpdate,
  type Entity,
  type EntityName,
} from '@switchyard/entities'
import type { Ctx, Handlers } from '../http/dispatch.js'
import {
  decodeOffset,
  encodeOffset,
  nextLink,
  parseSize,
  parseTags,
} from '../http/pagination.js'
import { sendEmpty, sendJson, sendKongError, sendMessage } from '../http/respond.js'
import { writeContext, type AdminDeps } from './context.js'
import { createEntity } from './create.js'
import { fail } from './fail.js'
import { presented, type EntityHooks } from './hooks.js'
import { lookupEntity, notFoundError, resolveForeign } from './lookup.js'
import { presentEntity, purgeExpired, ttlFromInput } from './ttl.js'

/** The collection's name in URLs (`key-auths` for keyauth_credentials). */
export function collectionPath(dao: EntityDao): string {
  return dao.def.admin_api_name ?? dao.def.name
}

function present(deps: AdminDeps, dao: EntityDao, entity: Entity): Entity {
  return presentEntity(dao.def, entity, deps.now())
}

/** Input rewrites every write shares: `ttl` seconds into an expiry. */
function prepareInput(deps: AdminDeps, dao: EntityDao, input: Entity): void {
  const err = ttlFromInput(dao.def, input, deps.now())
  if (err) fail(err)
}

/** A parent in a nested path: its DAO, URL parameter and the child's foreign field. */
export interface ParentSpec {
  dao: EntityDao
  param: string
  /** Foreign field on the child pointing at the parent, e.g. "service". */
  field: string
  /** Path after the parent in `next` links; the child collection's name by default. */
  listSuffix?: string
}

export function entityName(dao: EntityDao): EntityName {
  return dao.def.name as EntityName
}

/** Finds the parent of a nested path, or answers 404. */
async function findParent(deps: AdminDeps, ctx: Ctx, parent: ParentSpec): Promise<Entity | undefined> {
  const found = await lookupEntity(parent.dao, deps.store.q, ctx.params[parent.param]!)
  if (!found.ok) fail(found.error)
  if (!found.entity) sendMessage(ctx.res, 404, 'Not found')
  return found.entity
}

export function collectionHandlers(
  deps: AdminDeps,
  dao: EntityDao,
  parent?: ParentSpec,
  hooks: EntityHooks = {}
): Handlers {
  const { store } = deps
  return {
    async GET(ctx) {
      let parentId: string | undefined
      if (parent) {
        const p = await findParent(deps, ctx, parent)
        if (!p) return
        parentId = String(p['id'])
      }
      const size = parseSize(ctx.query['size'])
      if (!size.ok) return sendKongError(ctx.res, size.error)
      let afterId: string | undefined
      if (ctx.query['offset'] !== undefined) {
        const off = decodeOffset(ctx.query['offset'])
        if (!off.ok) return sendKongError(ctx.res, off.error)
        afterId = off.id
      }
      // Kong ignores tags on nested collections.
      let tags: TagFilter | undefined
      if (!parent) {
        const t = parseTags(ctx.query['tags'])
        if (!t.ok) return sendKongError(ctx.res, t.error)
        tags = t.tags
      }
      const page = await dao.page(store.q, {
        size: size.size,
        ...(afterId ? { afterId } : {}),
        ...(tags ? { tags } : {}),
        ...(parent && parentId ? { parent: { field: parent.field, id: parentId } } : {}),
      })
      await hooks.present?.(store.q, page.data)
      const body: Record<string, unknown> = { data: page.data.map((e) => present(deps, dao, e)), next: null }
      if (page.nextAfterId) {
        const offset = encodeOffset(page.nextAfterId)
        const base = parent
          ? `/${collectionPath(parent.dao)}/${ctx.params[parent.param]}/${parent.listSuffix ?? collectionPath(dao)}`
          : `/${collectionPath(dao)}`
        body['next'] = parent
          ? nextLink(base, offset)
          : nextLink(base, offset, { tags: ctx.query['tags'], size: ctx.query['size'] })
        body['offset'] = offset
      }
      sendJson(ctx.res, 200, body)
    },

    async POST(ctx) {
      let parentEntity: Entity | undefined
      if (parent) {
        parentEntity = await findParent(deps, ctx, parent)
        if (!parentEntity) return
      }
      const input = await ctx.input(dao.def)
      if (!input) return
      if (parent && parentEntity) input[parent.field] = { id: parentEntity['id'] }
      prepareInput(deps, dao, input)
      const created = await createEntity(deps, dao, input, hooks)
      sendJson(ctx.res, 201, present(deps, dao, created))
    },
  }
}

/** PATCH: merge into the stored row; the caller has found it. */
export async function patchEntity(
  deps: AdminDeps,
  dao: EntityDao,
  stored: Entity,
  input: Entity,
  hooks: EntityHooks = {}
): Promise<Entity> {
  const fkErr = await resolveForeign(dao.def, input, deps.store.daos, deps.store.q)
  if (fkErr) fail(fkErr)
  const prepared = prepareUpdate(dao.def, stored, input, writeContext(deps))
  if (!prepared.ok) fail(prepared.error)
  const { result } = await deps.store.write(async (tx) => {
    const row = await dao.update(tx.q, String(stored['id']), prepared.entity)
    if (!row) fail({ code: 6, name: 'not found', message: 'entity disappeared during update' })
    await tx.record(entityName(dao), 'upsert', row)
    await hooks.afterWrite?.(tx, row, { prepared: prepared.entity, input, op: 'update' })
    return row
  })
  return presented(deps, hooks, result)
}

/** PUT: create when absent, replace (defaults for unsent fields) when present. */
export async function upsertEntity(
  deps: AdminDeps,
  dao: EntityDao,
  stored: Entity | undefined,
  input: Entity,
  hooks: EntityHooks = {}
): Promise<Entity> {
  const fkErr = await resolveForeign(dao.def, input, deps.store.daos, deps.store.q)
  if (fkErr) fail(fkErr)
  const prepared = prepareCreate(dao.def, input, writeContext(deps), 'upsert', stored)
  if (!prepared.ok) fail(prepared.error)
  // Kong's upsert never changes a stored primary key (its ON CONFLICT … DO UPDATE leaves the
  // key columns out): an id in the body of a PUT to an existing entity is ignored. Changing it
  // would orphan the entity's plugins and targets (a foreign key error, 500).
  if (stored) prepared.entity['id'] = stored['id']
  const { result } = await deps.store.write(async (tx) => {
    await purgeExpired(tx, dao, deps.now())
    // A stored row that expired just now was purged, or it was deleted since it was looked up:
    // the replace becomes an insert (a PUT creates what is absent).
    const updated = stored ? await dao.update(tx.q, String(stored['id']), prepared.entity) : undefined
    const row = updated ?? (await dao.insert(tx.q, prepared.entity))
    await tx.record(entityName(dao), 'upsert', row)
    await hooks.afterWrite?.(tx, row!, { prepared: prepared.entity, input, op: 'upsert' })
    return row!
  })
  return presented(deps, hooks, result)
}

export async function deleteEntity(
  deps: AdminDeps,
  dao: EntityDao,
  stored: Entity,
  hooks: EntityHooks = {}
): Promise<void> {
  await deps.store.write(async (tx) => {
    await hooks.beforeDelete?.(tx, stored)
    const row = await dao.delete(tx.q, String(stored['id']))
    if (row) await tx.record(entityName(dao), 'delete', row)
  })
}

export function entityHandlers(
  deps: AdminDeps,
  dao: EntityDao,
  param: string,
  parent?: ParentSpec,
  hooks: EntityHooks = {}
): Handlers {
  const { store } = deps

  /** Looks the entity up (and checks it belongs to the parent); sends errors itself. */
  async function find(ctx: Ctx) {
    let parentId: string | undefined
    if (parent) {
      const p = await findParent(deps, ctx, parent)
      if (!p) return undefined
      parentId = String(p['id'])
    }
    const found = await lookupEntity(dao, store.q, ctx.params[param]!)
    if (!found.ok) fail(found.error)
    if (found.entity && parent) {
      const ref = found.entity[parent.field] as { id?: string } | null
      if (ref?.id !== parentId) return { ...found, entity: undefined, parentId }
    }
    return { ...found, parentId }
  }

  return {
    async GET(ctx) {
      const found = await find(ctx)
      if (!found) return
      if (!found.entity) return sendMessage(ctx.res, 404, 'Not found')
      await hooks.present?.(store.q, [found.entity])
      sendJson(ctx.res, 200, present(deps, dao, found.entity))
    },

    async PATCH(ctx) {
      const found = await find(ctx)
      if (!found) return
      if (!found.entity) {
        if (parent) return sendMessage(ctx.res, 404, 'Not found')
        return sendKongError(ctx.res, notFoundError(found))
      }
      const input = await ctx.input(dao.def, undefined, found.entity)
      if (!input) return
      if (parent) input[parent.field] = { id: found.parentId }
      prepareInput(deps, dao, input)
      sendJson(ctx.res, 200, present(deps, dao, await patchEntity(deps, dao, found.entity, input, hooks)))
    },

    async PUT(ctx) {
      const found = await find(ctx)
      if (!found) return
      const input = await ctx.input(dao.def)
      if (!input) return
      // The path's key wins over the body's.
      Object.assign(input, found.key)
      if (parent) input[parent.field] = { id: found.parentId }
      prepareInput(deps, dao, input)
      sendJson(ctx.res, 200, present(deps, dao, await upsertEntity(deps, dao, found.entity, input, hooks)))
    },

    async DELETE(ctx) {
      const found = await find(ctx)
      if (!found) return
      if (found.entity) await deleteEntity(deps, dao, found.entity, hooks)
      sendEmpty(ctx.res, 204)
    },
  }
}
