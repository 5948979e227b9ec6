// Targets nested under upstreams, after kong/api/routes/upstreams.lua and targets.lua:
// newest-first listing with numeric offsets, `/targets/all` in id order, lookups by exact
// normalised `host:port` or id, PUT = PATCH, DELETE 404s when absent, bare /targets is 404.
// Extension: POST of an existing target updates it and answers 200 (201 when created).

import { DaoError, type EntityDao } from '@switchyard/db'
import { normalizeTarget, isUuid, type Entity } from '@switchyard/entities'
import { collectionHandlers, deleteEntity, patchEntity, type ParentSpec } from '../endpoints/crud.js'
import type { AdminDeps } from '../endpoints/context.js'
import { lookupEntity } from '../endpoints/lookup.js'
import type { AdminRouter, Ctx, Handler } from '../http/dispatch.js'
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../http/pagination.js'
import { sendEmpty, sendJson, sendKongError, sendMessage } from '../http/respond.js'
import { createEntity } from '../endpoints/create.js'

export function mountTargets(router: AdminRouter, deps: AdminDeps): void {
  const { store } = deps
  const upstreams = store.daos.upstreams
  const targets = store.daos.targets

  async function findUpstream(ctx: Ctx): Promise<Entity | undefined> {
    const found = await lookupEntity(upstreams, store.q, ctx.params['upstream']!)
    if (!found.ok) {
      sendKongError(ctx.res, found.error)
      return undefined
    }
    if (!found.entity) sendMessage(ctx.res, 404, 'Not found')
    return found.entity
  }

  /** A target of this upstream by id or exact normalised `host:port`. */
  async function findTarget(ctx: Ctx): Promise<{ upstream: Entity; target: Entity } | undefined> {
    const upstream = await findUpstream(ctx)
    if (!upstream) return undefined
    const key = ctx.params['target']!
    const parent = { field: 'upstream', id: String(upstream['id']) }
    // Stored targets are always normalised, so any other spelling (`konghq.test` without its
    // port, or text Postgres cannot even compare, such as NUL) matches nothing.
    const target = isUuid(key)
      ? await targets.findBy(store.q, 'id', key.toLowerCase(), parent)
      : normalizeTarget(key) === key
        ? await targets.findBy(store.q, 'target', key, parent)
        : undefined
    if (!target) {
      sendMessage(ctx.res, 404, 'Not found')
      return undefined
    }
    return { upstream, target }
  }

  const list: Handler = async (ctx) => {
    const upstream = await findUpstream(ctx)
    if (!upstream) return
    // Kong clamps size here instead of rejecting it; offsets are plain positions.
    const rawSize = Number(ctx.query['size'] ?? DEFAULT_PAGE_SIZE)
    const size = Number.isInteger(rawSize) && rawSize > 0 ? Math.min(rawSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE
    const rawOffset = Number(ctx.query['offset'] ?? 0)
    const offset = Number.isInteger(rawOffset) && rawOffset > 0 ? rawOffset : 0
    const page = await targets.pageNewestFirst(
      store.q,
      { field: 'upstream', id: String(upstream['id']) },
      size,
      offset
    )
    const body: Record<string, unknown> = { data: page.data, next: null }
    if (page.more) {
      const next = String(offset + size)
      body['next'] = `/upstreams/${ctx.params['upstream']}/targets?offset=${next}`
      body['offset'] = next
    }
    sendJson(ctx.res, 200, body)
  }

  const update: Handler = async (ctx) => {
    const found = await findTarget(ctx)
    if (!found) return
    const input = await ctx.input(targets.def)
    if (!input) return
    input['upstream'] = { id: found.upstream['id'] }
    sendJson(ctx.res, 200, await patchEntity(deps, targets, found.target, input))
  }

  router.mount('/upstreams/:upstream/targets', {
    GET: list,
    async POST(ctx) {
      const upstream = await findUpstream(ctx)
      if (!upstream) return
      const input = await ctx.input(targets.def)
      if (!input) return
      input['upstream'] = { id: upstream['id'] }
      // Creating is the common case, so it is tried first; the unique (upstream, target) key
      // tells when the target exists, without a lookup on every create. (createEntity leaves
      // `input` as it was: prepareCreate works on a copy.)
      try {
        sendJson(ctx.res, 201, await createEntity(deps, targets, input))
        return
      } catch (err) {
        if (!(err instanceof DaoError && err.kong.code === 5 && Object.hasOwn(err.kong.fields ?? {}, 'target'))) throw err
      }
      const normal = typeof input['target'] === 'string' ? normalizeTarget(input['target']) : undefined
      const existing = normal
        ? await targets.findBy(store.q, 'target', normal, { field: 'upstream', id: String(upstream['id']) })
        : undefined
      // Extension: update in place (weight, backup, tags); Kong 3.x would answer 409. Gone
      // again since the insert failed: create it after all.
      if (existing) sendJson(ctx.res, 200, await patchEntity(deps, targets, existing, input))
      else sendJson(ctx.res, 201, await createEntity(deps, targets, input))
    },
  })

  const allParent: ParentSpec = {
    dao: upstreams,
    param: 'upstream',
    field: 'upstream',
    listSuffix: 'targets/all',
  }
  const all = collectionHandlers(deps, targets, allParent)
  router.mount('/upstreams/:upstream/targets/all', { GET: all.GET! })

  router.mount('/upstreams/:upstream/targets/:target', {
    async GET(ctx) {
      const found = await findTarget(ctx)
      if (found) sendJson(ctx.res, 200, found.target)
    },
    PATCH: update,
    PUT: update,
    async DELETE(ctx) {
      const found = await findTarget(ctx)
      if (!found) return
      await deleteEntity(deps, targets, found.target)
      sendEmpty(ctx.res, 204)
    },
  })

  // Kong disables the top-level `/targets…` endpoints, so they are deliberately not mounted:
  // the app's fallback answers 404 for every method, OPTIONS included, and /endpoints omits them.
}

export type { EntityDao }
