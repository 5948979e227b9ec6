// Consumers and their key-auth credentials, after kong/api/routes/consumers.lua and the
// key-auth plugin's generated endpoints: `/consumers` (with Kong's `?custom_id=` search),
// `/consumers/{c}/key-auth`, `/key-auths` and `/key-auths/{k}/consumer`. Plugins scoped to
// a consumer are mounted with the other plugin paths.

import { collectionHandlers, entityHandlers, type ParentSpec } from '../endpoints/crud.js'
import type { AdminDeps } from '../endpoints/context.js'
import { fail } from '../endpoints/fail.js'
import { lookupEntity } from '../endpoints/lookup.js'
import type { AdminRouter } from '../http/dispatch.js'
import { sendJson, sendMessage } from '../http/respond.js'

export function mountConsumers(router: AdminRouter, deps: AdminDeps): void {
  const { consumers, keyauth_credentials: credentials } = deps.store.daos
  const list = collectionHandlers(deps, consumers)
  router.mount('/consumers', {
    ...list,
    async GET(ctx) {
      const customId = ctx.query['custom_id']
      if (customId === undefined) return list.GET!(ctx)
      if (customId === '') return sendMessage(ctx.res, 400, 'custom_id must be an unempty string')
      const found = await consumers.findBy(deps.store.q, 'custom_id', customId)
      sendJson(ctx.res, 200, { data: found ? [found] : [], next: null })
    },
  })
  router.mount('/consumers/:consumer', entityHandlers(deps, consumers, 'consumer'))

  const parent: ParentSpec = { dao: consumers, param: 'consumer', field: 'consumer', listSuffix: 'key-auth' }
  router.mount('/consumers/:consumer/key-auth', collectionHandlers(deps, credentials, parent))
  router.mount('/consumers/:consumer/key-auth/:keyauth', entityHandlers(deps, credentials, 'keyauth', parent))
  router.mount('/key-auths', collectionHandlers(deps, credentials))
  router.mount('/key-auths/:keyauth', entityHandlers(deps, credentials, 'keyauth'))
  router.mount('/key-auths/:keyauth/consumer', {
    async GET(ctx) {
      const found = await lookupEntity(credentials, deps.store.q, ctx.params['keyauth']!)
      if (!found.ok) fail(found.error)
      const consumerId = (found.entity?.['consumer'] as { id?: string } | null | undefined)?.id
      const consumer = consumerId ? await consumers.findById(deps.store.q, consumerId) : undefined
      if (!consumer) return sendMessage(ctx.res, 404, 'Not found')
      sendJson(ctx.res, 200, consumer)
    },
  })
}
