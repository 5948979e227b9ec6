// Plugins: `/plugins` and the nested `/services/{s}/plugins`, `/routes/{r}/plugins`,
// `/consumers/{c}/plugins` (generic
// endpoints; the scope comes from the URL), plus `GET /plugins/enabled`.

import { PLUGIN_SCHEMAS } from '@switchyard/entities'
import { collectionHandlers, entityHandlers } from '../endpoints/crud.js'
import type { AdminDeps } from '../endpoints/context.js'
import type { AdminRouter } from '../http/dispatch.js'
import { sendJson } from '../http/respond.js'

export function mountPlugins(router: AdminRouter, deps: AdminDeps): void {
  const { plugins, services, routes, consumers } = deps.store.daos
  router.mount('/plugins', collectionHandlers(deps, plugins))
  // Before `/plugins/:plugin`, which would otherwise take "enabled" as a name.
  router.mount('/plugins/enabled', {
    async GET(ctx) {
      sendJson(ctx.res, 200, { enabled_plugins: Object.keys(PLUGIN_SCHEMAS).sort() })
    },
  })
  router.mount('/plugins/:plugin', entityHandlers(deps, plugins, 'plugin'))
  for (const [parentDao, param, field] of [
    [services, 'service', 'service'],
    [routes, 'route', 'route'],
    [consumers, 'consumer', 'consumer'],
  ] as const) {
    const parent = { dao: parentDao, param, field }
    router.mount(`/${parentDao.def.name}/:${param}/plugins`, collectionHandlers(deps, plugins, parent))
    router.mount(`/${parentDao.def.name}/:${param}/plugins/:plugin`, entityHandlers(deps, plugins, 'plugin', parent))
  }
}
