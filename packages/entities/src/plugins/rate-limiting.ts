// The rate-limiting plugin's config (kong/plugins/rate-limiting/schema.lua and the shared
// redis schema), its cross-field rules, and the legacy `redis_*` shorthands mapped into
// `redis.*`. See reference metrics-and-ratelimit.md §3.1.

import { inferValue } from '../decode-args.js'
import type { Entity, EntityCheckResult, Fields, RecordField } from '../schema.js'
import { checkHeaderName, checkHost, checkPath } from '../typedefs.js'

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const

// Kong's `gt = 0` (message "value must be greater than 0") has no field keyword here: the
// fields are plain numbers and checkRateLimiting reports the bound with Kong's wording.
const positive = { type: 'number' } as const

export const rateLimitingConfig: Fields = {
  second: positive,
  minute: positive,
  hour: positive,
  day: positive,
  month: positive,
  year: positive,
  limit_by: {
    type: 'string',
    one_of: ['consumer', 'credential', 'ip', 'service', 'header', 'path'],
    default: 'consumer',
  },
  header_name: { type: 'string', check: checkHeaderName },
  path: { type: 'string', check: checkPath },
  policy: { type: 'string', one_of: ['local', 'cluster', 'redis'], default: 'local' },
  fault_tolerant: { type: 'boolean', required: true, default: true },
  redis: {
    type: 'record',
    required: true,
    default: {},
    fields: {
      host: { type: 'string', check: checkHost },
      port: { type: 'integer', between: [0, 65535], default: 6379 },
      timeout: { type: 'integer', between: [0, 2147483646], default: 2000 },
      username: { type: 'string' },
      password: { type: 'string', len_min: 0 },
      database: { type: 'integer', default: 0 },
      ssl: { type: 'boolean', required: true, default: false },
      ssl_verify: { type: 'boolean', required: true, default: false },
      server_name: { type: 'string', check: checkHost },
    },
  },
  hide_client_headers: { type: 'boolean', required: true, default: false },
  error_code: { type: 'number', default: 429 },
  error_message: { type: 'string', default: 'API rate limit exceeded' },
  sync_rate: { type: 'number', required: true, default: -1 },
}

const LEGACY_REDIS = ['host', 'port', 'password', 'username', 'ssl', 'ssl_verify', 'server_name', 'timeout', 'database']

/** Maps Kong's deprecated `config.redis_<x>` inputs onto `config.redis.<x>`. */
export function mapLegacyRedis(config: Entity): string | undefined {
  for (const key of LEGACY_REDIS) {
    const legacy = `redis_${key}`
    if (!(legacy in config)) continue
    const redis = (config['redis'] ?? {}) as Entity
    // Legacy keys are not schema fields, so a form body leaves their values as text: give them
    // the type of the field they stand for, as Kong's typed shorthand fields do.
    const target = (rateLimitingConfig['redis'] as RecordField).fields[key]
    const value = target ? inferValue(config[legacy], target) : config[legacy]
    if (redis[key] !== undefined && redis[key] !== value) {
      return `both deprecated and new field are used but their values mismatch: config.${legacy} = ${String(value)} vs config.redis.${key} = ${String(redis[key])}`
    }
    config['redis'] = { ...redis, [key]: value }
    delete config[legacy]
  }
  return undefined
}

/** Lua's `%.1f`. */
const fmt = (n: number) => n.toFixed(1)

const GT_ZERO = 'value must be greater than 0'
const conditional = (field: string) => `failed conditional validation given value of field '${field}'`

/** Cross-field rules of the rate-limiting config, reported on `config` or `@entity` as Kong does. */
export function checkRateLimiting(plugin: Entity): EntityCheckResult | undefined {
  const c = (plugin['config'] ?? {}) as Entity
  // Field bounds first (Kong validates fields before the record's and entity's checks).
  const bounds: Record<string, string> = {}
  for (const f of [...PERIODS, 'error_code']) {
    if (typeof c[f] === 'number' && !((c[f] as number) > 0)) bounds[f] = GT_ZERO
  }
  if (Object.keys(bounds).length > 0) return { fields: { config: bounds } as unknown as Record<string, string> }
  const set = PERIODS.filter((p) => typeof c[p] === 'number')
  if (set.length === 0) {
    return {
      entity: [
        `at least one of these fields must be non-empty: ${PERIODS.map((p) => `'config.${p}'`).join(', ')}`,
      ],
    }
  }
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      const shorter = set[i]!
      const longer = set[j]!
      if ((c[longer] as number) < (c[shorter] as number)) {
        return {
          fields: {
            config: `The limit for ${longer}(${fmt(c[longer] as number)}) cannot be lower than the limit for ${shorter}(${fmt(c[shorter] as number)})`,
          },
        }
      }
    }
  }
  // Kong's conditional entity checks: each failure names the dependent field and adds an
  // entity-level message naming the field it depends on.
  const conf: Record<string, unknown> = {}
  const entity: string[] = []
  const missing = (v: unknown) => v === undefined || v === null
  if (c['limit_by'] === 'header' && missing(c['header_name'])) {
    conf['header_name'] = 'required field missing'
    entity.push(conditional('config.limit_by'))
  }
  if (c['limit_by'] === 'path' && missing(c['path'])) {
    conf['path'] = 'required field missing'
    entity.push(conditional('config.limit_by'))
  }
  const redis = (c['redis'] ?? {}) as Entity
  if (c['policy'] === 'redis') {
    const redisErrors: Record<string, string> = {}
    for (const f of ['host', 'port', 'timeout']) {
      if (missing(redis[f])) {
        redisErrors[f] = 'required field missing'
        entity.push(conditional('config.policy'))
      }
    }
    if (Object.keys(redisErrors).length > 0) conf['redis'] = redisErrors
  }
  const syncRate = c['sync_rate'] as number
  if (syncRate !== -1 && c['policy'] !== 'redis') conf['sync_rate'] = 'sync_rate can only be used with the redis policy'
  else if (syncRate !== -1 && syncRate < 0.02) conf['sync_rate'] = 'sync_rate must be greater than 0.02, or -1 to disable'
  if (Object.keys(conf).length === 0 && entity.length === 0) return undefined
  return {
    ...(entity.length > 0 ? { entity } : {}),
    ...(Object.keys(conf).length > 0 ? { fields: { config: conf } as unknown as Record<string, string> } : {}),
  }
}
