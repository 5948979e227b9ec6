// CA certificates: the generic endpoints, except that a CA certificate a service still trusts
// (listed in its `ca_certificates`) cannot be deleted, as kong/db/dao/ca_certificates.lua.

import { referencedByOthers } from '@switchyard/entities'
import type { AdminDeps } from '../endpoints/context.js'
import { collectionHandlers, entityHandlers } from '../endpoints/crud.js'
import { fail } from '../endpoints/fail.js'
import type { EntityHooks } from '../endpoints/hooks.js'
import type { AdminRouter } from '../http/dispatch.js'

export function mountCaCertificates(router: AdminRouter, deps: AdminDeps): void {
  const { ca_certificates, services } = deps.store.daos
  const hooks: EntityHooks = {
    async beforeDelete(tx, stored) {
      const id = String(stored['id'])
      const service = await services.findWithElement(tx.q, 'ca_certificates', id)
      if (service) {
        fail(referencedByOthers(`ca certificate ${id} is still referenced by services (id = ${String(service['id'])})`))
      }
    },
  }
  router.mount('/ca_certificates', collectionHandlers(deps, ca_certificates, undefined, hooks))
  router.mount('/ca_certificates/:ca_certificates', entityHandlers(deps, ca_certificates, 'ca_certificates', undefined, hooks))
}
