// Upstreams: the generic endpoints plus their targets.

import { collectionHandlers, entityHandlers } from '../endpoints/crud.js'
import type { AdminDeps } from '../endpoints/context.js'
import type { AdminRouter } from '../http/dispatch.js'
import { mountTargets } from './targets.js'

export function mountUpstreams(router: AdminRouter, deps: AdminDeps): void {
  const { upstreams } = deps.store.daos
  router.mount('/upstreams', collectionHandlers(deps, upstreams))
  router.mount('/upstreams/:upstream', entityHandlers(deps, upstreams, 'upstream'))
  mountTargets(router, deps)
}
