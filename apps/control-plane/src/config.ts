// The control plane's configuration, from Kong's environment variable names plus ours.
// The only module of this app that reads process.env.

import { isOn, loadClusterTls, type ClusterTls } from '@switchyard/cluster'
import { postgresUrlFromParts, type PostgresOptions } from '@switchyard/db'
import { readFileSync } from 'node:fs'
import { parseLogLevel, type LevelName } from '@switchyard/log'
import { kongListeners, listenEntries, parseListen, type Listen } from '@switchyard/server'

export interface ControlPlaneConfig {
  /** Admin API address, or undefined when `off`. */
  adminListen: Listen | undefined
  /** Postgres URL; undefined means embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined
  /** TLS, timeouts and pool of the Postgres connections (Kong's pg_* settings). */
  postgres: PostgresOptions
  dataDir: string
  redisUrl: string | undefined
  logLevel: LevelName
  clusterToken: string | undefined
  /** `traditional` (Admin API only) or `control_plane` (plus cluster endpoints and Redis). */
  role: 'traditional' | 'control_plane'
  clusterListen: Listen | undefined
  /** What `GET /` shows under `configuration` (listeners, database; nothing secret). */
  configuration: Record<string, unknown>
  /** The shared cluster certificate: the cluster listener serves HTTPS and asks for it back. */
  clusterTls: ClusterTls | undefined
  /** SWITCHYARD_CLUSTER_PLAIN_HTTP=on: serve the cluster listener without TLS (trusted networks only). */
  clusterPlainHttp: boolean
  /** SWITCHYARD_ADMIN_TOKEN: required on every Admin API request when set. */
  adminToken: string | undefined
}

const DEFAULT_ADMIN_LISTEN = '127.0.0.1:8001'

/** pg_* as Kong shows them, read from the Postgres URL; nulls for embedded PGlite. */
export function pgConfiguration(databaseUrl: string | undefined): Record<string, unknown> {
  if (!databaseUrl) return { pg_host: null, pg_port: null, pg_user: null, pg_database: null, pg_ssl: false }
  let url: URL
  try {
    url = new URL(databaseUrl)
  } catch {
    return { pg_host: null, pg_port: null, pg_user: null, pg_database: null, pg_ssl: false }
  }
  const sslmode = url.searchParams.get('sslmode')
  const ssl = url.searchParams.get('ssl')
  return {
    pg_host: decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || '127.0.0.1',
    pg_port: url.port ? Number(url.port) : 5432,
    pg_user: decodeURIComponent(url.username) || null,
    pg_database: decodeURIComponent(url.pathname.replace(/^\//, '')) || null,
    pg_ssl: ssl === 'true' || (sslmode !== null && !['disable', 'allow', 'prefer'].includes(sslmode)),
  }
}

/**
 * The listener and database settings `GET /` shows, as Kong 3.9 does (Kong Manager's overview
 * reads them). `proxyListen` is what this process serves: `off` for a control plane alone.
 */
export function shownConfiguration(env: NodeJS.ProcessEnv, proxyListen: string): Record<string, unknown> {
  const admin = env['KONG_ADMIN_LISTEN'] ?? DEFAULT_ADMIN_LISTEN
  // No Kong Manager is served here; one hosted elsewhere may be named in KONG_ADMIN_GUI_LISTEN.
  const gui = env['KONG_ADMIN_GUI_LISTEN'] ?? 'off'
  return {
    admin_listen: listenEntries(admin),
    admin_listeners: kongListeners(admin) ?? [],
    proxy_listen: listenEntries(proxyListen),
    proxy_listeners: kongListeners(proxyListen) ?? [],
    admin_gui_listen: listenEntries(gui),
    admin_gui_listeners: kongListeners(gui) ?? [],
    ...pgConfiguration(databaseUrlFrom(env)),
  }
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

/** A positive integer setting, or the default when unset; anything else is a configuration error. */
function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`)
  return n
}

/**
 * Kong's lua_ssl_trusted_certificate: `system` (the default) or comma-separated PEM files.
 * Undefined means the system's CAs.
 */
function trustedCertificates(value: string | undefined): string | undefined {
  const files = (value ?? 'system')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'system')
  if (files.length === 0) return undefined
  return files
    .map((f) => {
      try {
        return readFileSync(f, 'utf8')
      } catch (err) {
        throw new Error(`KONG_LUA_SSL_TRUSTED_CERTIFICATE: cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      }
    })
    .join('\n')
}

/** Kong's pg_ssl, pg_ssl_required, pg_ssl_verify, pg_timeout, pg_pool_size, pg_keepalive_timeout. */
export function postgresOptionsFrom(env: NodeJS.ProcessEnv): PostgresOptions {
  const sslVerify = isOn(env['KONG_PG_SSL_VERIFY'])
  return {
    ssl: isOn(env['KONG_PG_SSL']),
    sslRequired: isOn(env['KONG_PG_SSL_REQUIRED']),
    sslVerify,
    sslCa: sslVerify ? trustedCertificates(env['KONG_LUA_SSL_TRUSTED_CERTIFICATE']) : undefined,
    timeoutMs: positiveInt(env, 'KONG_PG_TIMEOUT', 5000),
    poolSize: positiveInt(env, 'KONG_PG_POOL_SIZE', 10),
    idleTimeoutMs: positiveInt(env, 'KONG_PG_KEEPALIVE_TIMEOUT', 60_000),
  }
}

export function loadControlPlaneConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  return {
    adminListen: parseListen(env['KONG_ADMIN_LISTEN'], DEFAULT_ADMIN_LISTEN),
    databaseUrl: databaseUrlFrom(env),
    postgres: postgresOptionsFrom(env),
    dataDir: env['SWITCHYARD_DATA_DIR'] ?? './.data',
    redisUrl: env['REDIS_URL'],
    logLevel: parseLogLevel(env['KONG_LOG_LEVEL']),
    clusterToken: env['SWITCHYARD_CLUSTER_TOKEN'],
    role: env['KONG_ROLE'] === 'control_plane' ? 'control_plane' : 'traditional',
    clusterListen: parseListen(env['KONG_CLUSTER_LISTEN'], '0.0.0.0:8005'),
    // A control plane alone serves no proxy (Kong's control_plane role sets proxy_listen off).
    configuration: shownConfiguration(env, 'off'),
    clusterTls: loadClusterTls(env['KONG_CLUSTER_CERT'], env['KONG_CLUSTER_CERT_KEY']),
    clusterPlainHttp: isOn(env['SWITCHYARD_CLUSTER_PLAIN_HTTP']),
    adminToken: env['SWITCHYARD_ADMIN_TOKEN'] || undefined,
  }
}
