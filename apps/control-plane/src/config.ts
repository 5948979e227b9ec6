// The control plane's configuration, from Kong's environment variable names plus ours.
// The only module of this app that reads process.env.

import { postgresUrlFromParts } from '@switchyard/db'
import { parseLogLevel, type LevelName } from '@switchyard/log'
import { parseListen, type Listen } from '@switchyard/server'

export interface ControlPlaneConfig {
  /** Admin API address, or undefined when `off`. */
  adminListen: Listen | undefined
  /** Postgres URL; undefined means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  redisUrl: string | undefined
  logLevel: LevelName
  clusterToken: string | undefined
  /** `traditional` (Admin API only) or `control_plane` (plus cluster endpoints and Redis). */
  role: 'traditional' | 'control_plane'
  clusterListen: Listen | undefined
  /** SWITCHYARD_ADMIN_TOKEN: required on every Admin API request when set. */
  adminToken: string | undefined
}

/** Postgres from DATABASE_URL, or from KONG_PG_* when KONG_PG_HOST or KONG_DATABASE=postgres is set. */
export function databaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  if (env['DATABASE_URL']) return env['DATABASE_URL']
  if (env['KONG_PG_HOST'] || env['KONG_DATABASE'] === 'postgres') {
    return postgresUrlFromParts({
      host: env['KONG_PG_HOST'] ?? '127.0.0.1',
      port: Number(env['KONG_PG_PORT'] ?? 5432),
      user: env['KONG_PG_USER'] ?? 'kong',
      ...(env['KONG_PG_PASSWORD'] ? { password: env['KONG_PG_PASSWORD'] } : {}),
      database: env['KONG_PG_DATABASE'] ?? 'kong',
    })
  }
  return undefined
}

export function loadControlPlaneConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  return {
    adminListen: parseListen(env['KONG_ADMIN_LISTEN'], '127.0.0.1:8001'),
    databaseUrl: databaseUrlFrom(env),
    dataDir: env['SWITCHYARD_DATA_DIR'] ?? './.data',
    redisUrl: env['REDIS_URL'],
    logLevel: parseLogLevel(env['KONG_LOG_LEVEL']),
    clusterToken: env['SWITCHYARD_CLUSTER_TOKEN'],
    role: env['KONG_ROLE'] === 'control_plane' ? 'control_plane' : 'traditional',
    clusterListen: parseListen(env['KONG_CLUSTER_LISTEN'], '0.0.0.0:8005'),
    adminToken: env['SWITCHYARD_ADMIN_TOKEN'] || undefined,
  }
}
