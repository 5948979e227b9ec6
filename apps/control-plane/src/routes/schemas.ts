// Schema endpoints, after kong/api/routes/kong.lua: `GET /schemas/{entity}`, `GET
// /schemas/plugins/{name}` (decK reads field defaults from these) and the `validate` variants,
// which run the full write pipeline without storing anything.

import {
  ENTITIES,
  entitySchemaJson,
  PLUGIN_SCHEMAS,
  plugins,
  prepareCreate,
  type EntityDefinition,
} from '@switchyard/entities'
import { randomUUID } from 'node:crypto'
import type { AdminRouter, Ctx } from '../http/dispatch.js'
import { sendJson, sendKongError, sendMessage } from '../http/respond.js'

function entityDef(name: string): EntityDefinition | undefined {
  return Object.hasOwn(ENTITIES, name) ? ENTITIES[name as keyof typeof ENTITIES] : undefined
}

async function validate(ctx: Ctx, def: EntityDefinition): Promise<void> {
  const input = await ctx.input(def)
  if (!input) return
  const r = prepareCreate(def, input, { now: Date.now(), newId: randomUUID })
  if (!r.ok) return sendKongError(ctx.res, r.error)
  sendJson(ctx.res, 200, { message: 'schema validation successful' })
}

export function mountSchemas(router: AdminRouter): void {
  // The plugin paths first: `plugins` is also an entity name.
  router.mount('/schemas/plugins/validate', { POST: (ctx) => validate(ctx, plugins) })
  router.mount('/schemas/plugins/:name', {
    async GET(ctx) {
      const name = ctx.params['name']!
      if (!Object.hasOwn(PLUGIN_SCHEMAS, name)) return sendMessage(ctx.res, 404, `No plugin named '${name}'`)
      sendJson(ctx.res, 200, entitySchemaJson(plugins.variant!({ name })))
    },
  })
  router.mount('/schemas/:entity', {
    async GET(ctx) {
      const def = entityDef(ctx.params['entity']!)
      if (!def) return sendMessage(ctx.res, 404, `No entity named '${ctx.params['entity']}'`)
      sendJson(ctx.res, 200, entitySchemaJson(def))
    },
  })
  router.mount('/schemas/:entity/validate', {
    async POST(ctx) {
      const def = entityDef(ctx.params['entity']!)
      if (!def) return sendMessage(ctx.res, 404, `No entity named '${ctx.params['entity']}'`)
      await validate(ctx, def)
    },
  })
}
