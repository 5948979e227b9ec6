// Services, routes, routes nested under services, and the route's foreign-entity endpoint
// `/routes/{r}/service` (GET, PATCH, PUT upsert-and-attach; DELETE is 405 or 404).

import type { Entity } from '@switchyard/entities'
import { collectionHandlers, entityHandlers, patchEntity, upsertEntity } from '../endpoints/crud.js'
import type { AdminDeps } from '../endpoints/context.js'
import { fail } from '../endpoints/fail.js'
import { lookupEntity } from '../endpoints/lookup.js'
import type { AdminRouter, Ctx } from '../http/dispatch.js'
import { sendJson, sendMessage } from '../http/respond.js'

export function mountServicesAndRoutes(router: AdminRouter, deps: AdminDeps): void {
  const { services, routes } = deps.store.daos
  const q = () => deps.store.q

  router.mount('/services', collectionHandlers(deps, services))
  router.mount('/services/:service', entityHandlers(deps, services, 'service'))
  const parent = { dao: services, param: 'service', field: 'service' }
  router.mount('/services/:service/routes', collectionHandlers(deps, routes, parent))
  router.mount('/services/:service/routes/:route', entityHandlers(deps, routes, 'route', parent))
  router.mount('/routes', collectionHandlers(deps, routes))
  router.mount('/routes/:route', entityHandlers(deps, routes, 'route'))

  async function routeAndService(ctx: Ctx): Promise<{ route: Entity; service?: Entity } | undefined> {
    const found = await lookupEntity(routes, q(), ctx.params['route']!)
    if (!found.ok) fail(found.error)
    if (!found.entity) {
      sendMessage(ctx.res, 404, 'Not found')
      return undefined
    }
    const ref = found.entity['service'] as { id?: string } | null
    const service = ref?.id ? await services.findById(q(), ref.id) : undefined
    return service ? { route: found.entity, service } : { route: found.entity }
  }

  router.mount('/routes/:route/service', {
    async GET(ctx) {
      const found = await routeAndService(ctx)
      if (!found) return
      if (!found.service) return sendMessage(ctx.res, 404, 'Not found')
      sendJson(ctx.res, 200, found.service)
    },
    async PATCH(ctx) {
      const found = await routeAndService(ctx)
      if (!found) return
      if (!found.service) return sendMessage(ctx.res, 404, 'Not found')
      const input = await ctx.input(services.def)
      if (!input) return
      sendJson(ctx.res, 200, await patchEntity(deps, services, found.service, input))
    },
    async PUT(ctx) {
      const found = await routeAndService(ctx)
      if (!found) return
      const input = await ctx.input(services.def)
      if (!input) return
      const service = await upsertEntity(deps, services, found.service, input)
      if (!found.service) await patchEntity(deps, routes, found.route, { service: { id: service['id'] } })
      sendJson(ctx.res, 200, service)
    },
    async DELETE(ctx) {
      const found = await routeAndService(ctx)
      if (!found) return
      if (!found.service) return sendMessage(ctx.res, 404, 'Not found')
      sendMessage(ctx.res, 405, 'Method not allowed')
    },
  })
}
