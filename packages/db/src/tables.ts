// Drizzle table definitions. Column names are Kong's field names verbatim (a row is an API
// entity with no renaming), except foreign keys, stored as `<field>_id`.

import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core'

export const certificates = pgTable('certificates', {
  id: uuid('id').primaryKey(),
  created_at: bigint('created_at', { mode: 'number' }).notNull(),
  updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
  cert: text('cert').notNull(),
  key: text('key').notNull(),
  cert_alt: text('cert_alt'),
  key_alt: text('key_alt'),
  tags: text('tags').array(),
})

export const snis = pgTable(
  'snis',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull().unique('snis_name_key'),
    created_at: bigint('created_at', { mode: 'number' }).notNull(),
    updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
    tags: text('tags').array(),
    // The Admin API deletes a certificate's SNIs itself (so each gets an outbox event); the
    // cascade only backs that up.
    certificate_id: uuid('certificate_id')
      .notNull()
      .references(() => certificates.id, { onDelete: 'cascade' }),
  },
  (t) => [index('snis_certificate_id_idx').on(t.certificate_id)]
)

export const caCertificates = pgTable('ca_certificates', {
  id: uuid('id').primaryKey(),
  created_at: bigint('created_at', { mode: 'number' }).notNull(),
  updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
  cert: text('cert').notNull(),
  cert_digest: text('cert_digest').unique('ca_certificates_cert_digest_key'),
  tags: text('tags').array(),
})

export const upstreams = pgTable('upstreams', {
  id: uuid('id').primaryKey(),
  created_at: bigint('created_at', { mode: 'number' }).notNull(),
  updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
  name: text('name').notNull().unique('upstreams_name_key'),
  algorithm: text('algorithm').notNull(),
  hash_on: text('hash_on').notNull(),
  hash_fallback: text('hash_fallback').notNull(),
  hash_on_header: text('hash_on_header'),
  hash_fallback_header: text('hash_fallback_header'),
  hash_on_cookie: text('hash_on_cookie'),
  hash_on_cookie_path: text('hash_on_cookie_path'),
  hash_on_query_arg: text('hash_on_query_arg'),
  hash_fallback_query_arg: text('hash_fallback_query_arg'),
  hash_on_uri_capture: text('hash_on_uri_capture'),
  hash_fallback_uri_capture: text('hash_fallback_uri_capture'),
  slots: integer('slots').notNull(),
  healthchecks: jsonb('healthchecks'),
  tags: text('tags').array(),
  host_header: text('host_header'),
  // No ON DELETE: deleting a certificate an upstream presents is refused (Kong's code 4).
  client_certificate_id: uuid('client_certificate_id').references(() => certificates.id),
  use_srv_name: boolean('use_srv_name').notNull(),
  // Extensions: AI-aware balancing settings and slow start (seconds).
  ai: jsonb('ai'),
  slow_start: doublePrecision('slow_start').notNull().default(0),
})

export const targets = pgTable(
  'targets',
  {
    id: uuid('id').primaryKey(),
    // Kong's targets carry seconds with a millisecond fraction.
    created_at: doublePrecision('created_at').notNull(),
    updated_at: doublePrecision('updated_at').notNull(),
    upstream_id: uuid('upstream_id')
      .notNull()
      .references(() => upstreams.id, { onDelete: 'cascade' }),
    target: text('target').notNull(),
    weight: integer('weight').notNull(),
    tags: text('tags').array(),
    backup: boolean('backup').notNull().default(false),
    // Extensions: per-target budgets, requests and tokens per minute (null = unlimited).
    rpm: integer('rpm'),
    tpm: integer('tpm'),
  },
  (t) => [unique('targets_upstream_id_target_key').on(t.upstream_id, t.target)]
)

export const services = pgTable('services', {
  id: uuid('id').primaryKey(),
  created_at: bigint('created_at', { mode: 'number' }).notNull(),
  updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
  name: text('name').unique('services_name_key'),
  retries: integer('retries').notNull(),
  protocol: text('protocol').notNull(),
  host: text('host').notNull(),
  port: integer('port').notNull(),
  path: text('path'),
  connect_timeout: integer('connect_timeout').notNull(),
  write_timeout: integer('write_timeout').notNull(),
  read_timeout: integer('read_timeout').notNull(),
  tags: text('tags').array(),
  client_certificate_id: uuid('client_certificate_id').references(() => certificates.id),
  tls_verify: boolean('tls_verify'),
  tls_verify_depth: integer('tls_verify_depth'),
  ca_certificates: uuid('ca_certificates').array(),
  enabled: boolean('enabled').notNull(),
})

export const routes = pgTable(
  'routes',
  {
    id: uuid('id').primaryKey(),
    created_at: bigint('created_at', { mode: 'number' }).notNull(),
    updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
    name: text('name').unique('routes_name_key'),
    protocols: text('protocols').array().notNull(),
    https_redirect_status_code: integer('https_redirect_status_code').notNull(),
    strip_path: boolean('strip_path').notNull(),
    preserve_host: boolean('preserve_host').notNull(),
    request_buffering: boolean('request_buffering').notNull(),
    response_buffering: boolean('response_buffering').notNull(),
    tags: text('tags').array(),
    // No ON DELETE: deleting a referenced service is refused (Kong's code 4).
    service_id: uuid('service_id').references(() => services.id),
    snis: text('snis').array(),
    sources: jsonb('sources'),
    destinations: jsonb('destinations'),
    methods: text('methods').array(),
    hosts: text('hosts').array(),
    paths: text('paths').array(),
    headers: jsonb('headers'),
    regex_priority: integer('regex_priority').notNull(),
    path_handling: text('path_handling').notNull(),
  },
  (t) => [index('routes_service_id_idx').on(t.service_id)]
)

export const consumers = pgTable('consumers', {
  id: uuid('id').primaryKey(),
  created_at: bigint('created_at', { mode: 'number' }).notNull(),
  updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
  username: text('username').unique('consumers_username_key'),
  custom_id: text('custom_id').unique('consumers_custom_id_key'),
  tags: text('tags').array(),
})

export const plugins = pgTable(
  'plugins',
  {
    id: uuid('id').primaryKey(),
    created_at: bigint('created_at', { mode: 'number' }).notNull(),
    updated_at: bigint('updated_at', { mode: 'number' }).notNull(),
    name: text('name').notNull(),
    instance_name: text('instance_name').unique('plugins_instance_name_key'),
    route_id: uuid('route_id').references(() => routes.id, { onDelete: 'cascade' }),
    service_id: uuid('service_id').references(() => services.id, { onDelete: 'cascade' }),
    consumer_id: uuid('consumer_id').references(() => consumers.id, { onDelete: 'cascade' }),
    config: jsonb('config').notNull(),
    protocols: text('protocols').array().notNull(),
    enabled: boolean('enabled').notNull(),
    tags: text('tags').array(),
  },
  // One instance per plugin name and scope; a missing scope counts as equal (global plugins).
  (t) => [unique('plugins_name_route_id_service_id_consumer_id_key').on(t.name, t.route_id, t.service_id, t.consumer_id).nullsNotDistinct()]
)

export const keyauthCredentials = pgTable(
  'keyauth_credentials',
  {
    id: uuid('id').primaryKey(),
    created_at: bigint('created_at', { mode: 'number' }).notNull(),
    consumer_id: uuid('consumer_id')
      .notNull()
      .references(() => consumers.id, { onDelete: 'cascade' }),
    key: text('key').unique('keyauth_credentials_key_key'),
    tags: text('tags').array(),
    // Expiry in epoch seconds (Kong keeps a timestamp); null: never expires.
    ttl: bigint('ttl', { mode: 'number' }),
  },
  (t) => [index('keyauth_credentials_consumer_id_idx').on(t.consumer_id)]
)

/**
 * The outbox of the cluster protocol: every Admin API write appends one row in the same
 * transaction; data planes follow it by version.
 */
export const configEvents = pgTable('config_events', {
  version: bigserial('version', { mode: 'number' }).primaryKey(),
  entity: text('entity').notNull(),
  op: text('op').notNull(),
  entity_id: uuid('entity_id').notNull(),
  payload: jsonb('payload'),
  created_at: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
})

/**
 * The cluster's identity for this database (one row). Outbox versions only mean something
 * within one epoch: a recreated or restored database starts a new one, so followers that see
 * another epoch reload a snapshot instead of trusting version numbers.
 */
export const clusterEpoch = pgTable(
  'cluster_epoch',
  {
    id: integer('id').primaryKey().default(1),
    epoch: uuid('epoch').notNull(),
    updated_at: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
  },
  () => [check('cluster_epoch_single_row', sql`"id" = 1`)]
)

export const TABLES = {
  upstreams,
  targets,
  services,
  routes,
  consumers,
  plugins,
  keyauth_credentials: keyauthCredentials,
  certificates,
  snis,
  ca_certificates: caCertificates,
} as const
