// The rate-limiting plugin's config as it arrives on a data plane (defaults filled in by the
// control plane; see packages/entities/src/plugins/rate-limiting.ts), and the few readings of
// it the handler needs.

import type { RedisCounterTarget } from '@switchyard/cluster'
import { PERIODS, type Period } from './windows.js'

export interface RateLimitingRedisConfig {
  host: string | null
  port: number | null
  timeout: number | null
  username: string | null
  password: string | null
  database: number | null
  ssl: boolean | null
  ssl_verify: boolean | null
  server_name: string | null
}

export interface RateLimitingConfig {
  second: number | null
  minute: number | null
  hour: number | null
  day: number | null
  month: number | null
  year: number | null
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path'
  header_name: string | null
  path: string | null
  policy: 'local' | 'cluster' | 'redis'
  fault_tolerant: boolean
  hide_client_headers: boolean
  error_code: number
  error_message: string
  sync_rate: number
  redis: RateLimitingRedisConfig
}

export interface Limit {
  period: Period
  limit: number
}

/** The configured periods, shortest first; a period without a positive number is not limited. */
export function limitsOf(config: Partial<RateLimitingConfig>): Limit[] {
  const out: Limit[] = []
  for (const period of PERIODS) {
    const v = config[period]
    if (typeof v === 'number' && v > 0) out.push({ period, limit: v })
  }
  return out
}

const DEFAULT_TIMEOUT_MS = 2000

/** Where the redis policy keeps its counters; undefined when no host is configured. */
export function redisTargetOf(config: Partial<RateLimitingConfig>): RedisCounterTarget | undefined {
  const r = config.redis
  if (!r || typeof r.host !== 'string' || r.host === '') return undefined
  return {
    host: r.host,
    port: typeof r.port === 'number' ? r.port : 6379,
    database: typeof r.database === 'number' ? r.database : 0,
    username: r.username ?? null,
    password: r.password ?? null,
    timeoutMs: typeof r.timeout === 'number' ? r.timeout : DEFAULT_TIMEOUT_MS,
    ssl: r.ssl === true,
    sslVerify: r.ssl_verify === true,
    serverName: r.server_name ?? null,
  }
}

/** The status of the block response: the configured code when it is a usable HTTP status. */
export function blockStatus(config: Partial<RateLimitingConfig>): number {
  const code = config.error_code
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? code : 429
}
