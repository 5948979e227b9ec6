// The rate-limiting plugin's config (kong/plugins/rate-limiting/schema.lua and the shared
// redis schema), its cross-field rules, and the legacy `redis_*` shorthands mapped into
// `redis.*`. See reference metrics-and-ratelimit.md §3.1.

import type { Entity, EntityCheckResult, Fields } from '../schema.js'
import { checkHeaderName, checkHost, checkPath } from '../typedefs.js'

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const

const positive = { type: 'number', between: [Number.MIN_VALUE, Number.MAX_SAFE_INTEGER] } as const

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
  error_code: { type: 'number', between: [Number.MIN_VALUE, Number.MAX_SAFE_INTEGER], default: 429 },
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
    if (redis[key] !== undefined && redis[key] !== config[legacy]) {
      return `both deprecated and new field are used but their values mismatch: config.${legacy} = ${String(config[legacy])} vs config.redis.${key} = ${String(redis[key])}`
    }
    config['redis'] = { ...redis, [key]: config[legacy] }
    delete config[legacy]
  }
  return undefined
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n))

/** Cross-field rules of the rate-limiting config, reported on `config` or `@entity` as Kong does. */
export function checkRateLimiting(plugin: Entity): EntityCheckResult | undefined {
  const c = (plugin['config'] ?? {}) as Entity
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
  const conf: Record<string, unknown> = {}
  if (c['limit_by'] === 'header' && !c['header_name']) conf['header_name'] = 'required field missing'
  if (c['limit_by'] === 'path' && !c['path']) conf['path'] = 'required field missing'
  const redis = (c['redis'] ?? {}) as Entity
  if (c['policy'] === 'redis' && !redis['host']) conf['redis'] = { host: 'required field missing' }
  const syncRate = c['sync_rate'] as number
  if (syncRate !== -1 && c['policy'] !== 'redis') conf['sync_rate'] = 'sync_rate can only be used with the redis policy'
  else if (syncRate !== -1 && syncRate < 0.02) conf['sync_rate'] = 'sync_rate must be greater than 0.02, or -1 to disable'
  if (Object.keys(conf).length > 0) return { fields: { config: conf } as unknown as Record<string, string> }
  return undefined
}
