// Certificates and SNIs, after kong/api/routes/certificates.lua and kong/db/dao/certificates.lua:
// the generic endpoints plus what differs — a certificate can be named by one of its SNIs in
// the path, its `snis` shorthand creates, replaces and lists its SNI entities (each change is
// its own outbox event, in the certificate's transaction), and deleting it deletes its SNIs.

import type { EntityDao } from '@switchyard/db'
import { isUuid, prepareCreate, schemaViolation, type Entity } from '@switchyard/entities'
import { writeContext, type AdminDeps } from '../endpoints/context.js'
import { collectionHandlers, entityHandlers } from '../endpoints/crud.js'
import { fail } from '../endpoints/fail.js'
import type { EntityHooks } from '../endpoints/hooks.js'
import type { AdminRouter, Ctx, Handlers } from '../http/dispatch.js'
import { sendMessage } from '../http/respond.js'

const idOf = (e: Entity) => String(e['id'])
const certificateIdOf = (sni: Entity) => String((sni['certificate'] as { id?: string } | null)?.id)

/** Runs `before` ahead of every handler; it answers itself and returns false to stop. */
function withBefore(handlers: Handlers, before: (ctx: Ctx) => Promise<boolean>): Handlers {
  const out: Handlers = {}
  for (const [method, handler] of Object.entries(handlers) as [keyof Handlers, NonNullable<Handlers[keyof Handlers]>][]) {
    out[method] = async (ctx) => {
      if (await before(ctx)) await handler(ctx)
    }
  }
  return out
}

/** Kong's prepare_args: `snis` as a string is one name; PUT by SNI name keeps that name. */
function shapeSnis(input: Entity, method: string, name: string | undefined): void {
  const snis = input['snis']
  if (Array.isArray(snis)) {
    if (name !== undefined && method === 'PUT' && !snis.includes(name)) snis.push(name)
  } else if (typeof snis === 'string') {
    input['snis'] = name !== undefined && method === 'PUT' && name !== snis ? [snis, name] : [snis]
  } else if (snis === undefined && method === 'PUT') {
    input['snis'] = null
  }
}

function sortedNames(list: Entity[]): string[] {
  return list.map((s) => String(s['name'])).sort()
}

export function certificateHooks(deps: AdminDeps): EntityHooks {
  const snis: EntityDao = deps.store.daos.snis
  const ofCertificate = (id: string) => ({ field: 'certificate', id })
  return {
    async present(q, entities) {
      // One query per certificate, as Kong's page does.
      for (const cert of entities) cert['snis'] = sortedNames(await snis.allOf(q, ofCertificate(idOf(cert))))
    },

    async afterWrite(tx, row, { prepared, input, op }) {
      // A PATCH without `snis` leaves the certificate's SNIs as they are.
      if (op === 'update' && input['snis'] === undefined) return
      const names = Array.isArray(prepared['snis']) ? (prepared['snis'] as string[]) : []
      const seen = new Set<string>()
      for (const name of names) {
        if (seen.has(name)) fail(schemaViolation({ snis: `${name} is duplicated` }))
        seen.add(name)
      }
      for (const name of names) {
        const existing = await snis.findBy(tx.q, 'name', name)
        if (existing && certificateIdOf(existing) !== idOf(row)) {
          const other = certificateIdOf(existing)
          fail(schemaViolation({ snis: `${name} already associated with existing certificate '${other}'` }))
        }
      }
      const current = await snis.allOf(tx.q, ofCertificate(idOf(row)))
      const have = new Set(current.map((s) => String(s['name'])))
      for (const name of [...names].sort()) {
        if (have.has(name)) continue
        const sni = prepareCreate(snis.def, { name, certificate: { id: idOf(row) } }, writeContext(deps))
        if (!sni.ok) fail(sni.error)
        await tx.record('snis', 'upsert', await snis.insert(tx.q, sni.entity))
      }
      for (const old of current) {
        if (seen.has(String(old['name']))) continue
        const deleted = await snis.delete(tx.q, idOf(old))
        if (deleted) await tx.record('snis', 'delete', deleted)
      }
    },

    async beforeDelete(tx, stored) {
      for (const sni of await snis.allOf(tx.q, ofCertificate(idOf(stored)))) {
        const deleted = await snis.delete(tx.q, idOf(sni))
        if (deleted) await tx.record('snis', 'delete', deleted)
      }
    },
  }
}

export function mountCertificates(router: AdminRouter, deps: AdminDeps): void {
  const { certificates, snis } = deps.store.daos
  const hooks = certificateHooks(deps)

  /**
   * Kong's prepare_params: a path segment that is not a UUID names an SNI, which stands for
   * its certificate; an unknown name is a 404 except for PUT, which creates a certificate.
   * `shape` also applies Kong's prepare_args to the body.
   */
  const byIdOrSni =
    (shape: boolean) =>
    async (ctx: Ctx): Promise<boolean> => {
      const segment = ctx.params['certificates']!
      let name: string | undefined
      if (!isUuid(segment)) {
        name = segment
        const sni = await snis.findBy(deps.store.q, 'name', segment)
        if (sni) ctx.params['certificates'] = certificateIdOf(sni)
        else if (ctx.req.method === 'PUT') ctx.params['certificates'] = deps.newId()
        else {
          sendMessage(ctx.res, 404, 'SNI not found')
          return false
        }
      }
      if (shape) {
        const read = ctx.input.bind(ctx)
        ctx.input = async (...args) => {
          const input = await read(...args)
          if (input) shapeSnis(input, ctx.req.method, name)
          return input
        }
      }
      return true
    }

  router.mount('/certificates', collectionHandlers(deps, certificates, undefined, hooks))
  router.mount(
    '/certificates/:certificates',
    withBefore(entityHandlers(deps, certificates, 'certificates', undefined, hooks), byIdOrSni(true))
  )
  const parent = { dao: certificates, param: 'certificates', field: 'certificate', listSuffix: 'snis' }
  router.mount('/certificates/:certificates/snis', withBefore(collectionHandlers(deps, snis, parent), byIdOrSni(false)))
  router.mount(
    '/certificates/:certificates/snis/:snis',
    withBefore(entityHandlers(deps, snis, 'snis', parent), byIdOrSni(false))
  )
  router.mount('/snis', collectionHandlers(deps, snis))
  router.mount('/snis/:snis', entityHandlers(deps, snis, 'snis'))
}
