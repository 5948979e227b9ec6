// Plugin entity, after kong/db/schema/entities/plugins.lua: one row per instance, scoped by
// route/service/consumer (none = global), with a `config` record whose schema depends on the
// plugin's name. The plugins this node can run are listed in PLUGIN_SCHEMAS.

import { keyAuthConfig } from './plugins/key-auth.js'
import { prometheusConfig } from './plugins/prometheus.js'
import { checkRateLimiting, mapLegacyRedis, rateLimitingConfig } from './plugins/rate-limiting.js'
import { MSG } from './messages.js'
import type { Entity, EntityCheck, EntityCheckResult, EntityDefinition, Fields } from './schema.js'
import { createdAt, id, tags, updatedAt, utf8Name } from './typedefs.js'
import { PROTOCOLS } from './services.js'

interface PluginSchema {
  version: string
  /** Kong's handler priority, reported by `GET /`. */
  priority: number
  config: Fields
  check?: (plugin: Entity) => EntityCheckResult | undefined
  prepareConfig?: (config: Entity) => string | undefined
  /** Kong's typedefs.no_consumer: the plugin cannot be scoped to a consumer (auth plugins). */
  noConsumer?: boolean
  /** Kong's typedefs.protocols_http: only the HTTP protocols are accepted. */
  httpOnly?: boolean
}

export const PLUGIN_SCHEMAS: Readonly<Record<string, PluginSchema>> = {
  'rate-limiting': {
    version: '3.9.3',
    priority: 910,
    config: rateLimitingConfig,
    check: checkRateLimiting,
    prepareConfig: mapLegacyRedis,
  },
  prometheus: { version: '3.9.3', priority: 13, config: prometheusConfig },
  'key-auth': { version: '3.9.3', priority: 1250, config: keyAuthConfig, noConsumer: true, httpOnly: true },
}

/** The schema of an enabled plugin; own keys only, so `__proto__` or `constructor` are no plugin. */
function schemaOf(name: unknown): PluginSchema | undefined {
  return typeof name === 'string' && Object.hasOwn(PLUGIN_SCHEMAS, name) ? PLUGIN_SCHEMAS[name] : undefined
}

export const notEnabled = (name: string) =>
  `plugin '${name}' not enabled; add it to the 'plugins' configuration property`

const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https']

function fields(config: Fields, httpOnly = false): Fields {
  return {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    name: { type: 'string', required: true, check: (n) => (schemaOf(n) ? undefined : notEnabled(n)) },
    instance_name: utf8Name(),
    route: { type: 'foreign', reference: 'routes', on_delete: 'cascade' },
    service: { type: 'foreign', reference: 'services', on_delete: 'cascade' },
    consumer: { type: 'foreign', reference: 'consumers', on_delete: 'cascade' },
    config: { type: 'record', required: true, default: {}, fields: config },
    protocols: {
      type: 'set',
      required: true,
      elements: { type: 'string', one_of: httpOnly ? HTTP_PROTOCOLS : PROTOCOLS },
      default: HTTP_PROTOCOLS,
    },
    enabled: { type: 'boolean', required: true, default: true },
    tags: tags(),
  }
}

function noConsumer(plugin: Entity): EntityCheckResult | undefined {
  const c = plugin['consumer']
  return c === null || c === undefined ? undefined : { fields: { consumer: MSG.MUST_BE_NULL } }
}

const variants = new Map<string, EntityDefinition>()

function variant(entity: Entity): EntityDefinition {
  const name = entity['name']
  const schema = schemaOf(name)
  if (!schema || typeof name !== 'string') return plugins
  let def = variants.get(name)
  if (!def) {
    const check = schema.check
    const checks: EntityCheck[] = []
    if (schema.noConsumer) checks.push({ custom: noConsumer })
    if (check) checks.push({ custom: check })
    def = { ...plugins, fields: fields(schema.config, schema.httpOnly), entity_checks: checks }
    variants.set(name, def)
  }
  return def
}

export const plugins: EntityDefinition = {
  name: 'plugins',
  primary_key: 'id',
  endpoint_key: 'instance_name',
  unique: ['instance_name', ['name', 'route', 'service', 'consumer']],
  // Storage shape: `config` is kept as a document; its schema comes from the variant.
  fields: fields({}),
  prepare: (input) => {
    const name = input['name']
    const config = input['config']
    const schema = schemaOf(name)
    if (schema?.prepareConfig && config && typeof config === 'object' && !Array.isArray(config)) {
      const err = schema.prepareConfig(config as Entity)
      if (err) return { fields: { config: err } }
    }
    return undefined
  },
  variant,
}
