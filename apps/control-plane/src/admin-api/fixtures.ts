// Shared expectations of the conformance suite: Kong's full default bodies, written out
// literally from the reference (not imported from the entity definitions, so a wrong default
// there fails here), and small helpers for the assertions every case repeats.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import type { AdminClient, Encoding, Json, Reply } from './client.js'

/** An upstream with every default, minus id, timestamps and name (reference §3.1). */
export const UPSTREAM_DEFAULTS = {
  algorithm: 'round-robin',
  hash_on: 'none',
  hash_fallback: 'none',
  hash_on_header: null,
  hash_fallback_header: null,
  hash_on_cookie: null,
  hash_on_cookie_path: '/',
  hash_on_query_arg: null,
  hash_fallback_query_arg: null,
  hash_on_uri_capture: null,
  hash_fallback_uri_capture: null,
  slots: 10000,
  healthchecks: {
    active: {
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
      healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
      unhealthy: {
        interval: 0,
        http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
        tcp_failures: 0,
        timeouts: 0,
        http_failures: 0,
      },
    },
    passive: {
      type: 'http',
      healthy: {
        http_statuses: [
          200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
        ],
        successes: 0,
      },
      unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
    threshold: 0,
  },
  tags: null,
  host_header: null,
  client_certificate: null,
  use_srv_name: false,
  // Extensions (AI-aware balancing), shown with their defaults like Kong's own fields.
  ai: { signals: true, default_cooldown: 5, max_cooldown: 300, token_reservation: 256 },
  slow_start: 0,
} as const

/** A service with every default, minus id, timestamps and host (reference §3.3). */
export const SERVICE_DEFAULTS = {
  name: null,
  retries: 5,
  protocol: 'http',
  port: 80,
  path: null,
  connect_timeout: 60000,
  write_timeout: 60000,
  read_timeout: 60000,
  tags: null,
  client_certificate: null,
  tls_verify: null,
  tls_verify_depth: null,
  ca_certificates: null,
  enabled: true,
} as const

/** A route with every default, minus id, timestamps and its routing attributes (§3.4). */
export const ROUTE_DEFAULTS = {
  name: null,
  protocols: ['http', 'https'],
  https_redirect_status_code: 426,
  strip_path: true,
  preserve_host: false,
  request_buffering: true,
  response_buffering: true,
  tags: null,
  service: null,
  snis: null,
  sources: null,
  destinations: null,
  methods: null,
  hosts: null,
  paths: null,
  headers: null,
  regex_priority: 0,
  path_handling: 'v0',
} as const

export const SERVICE_PROTOCOLS_MSG = 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'

export const newId = (): string => randomUUID()

/** The entity without the fields the server generates. */
export function withoutMeta(entity: Json): Json {
  const { id: _id, created_at: _c, updated_at: _u, ...rest } = entity as Record<string, unknown>
  return rest
}

/** Asserts the status, showing the body when it differs. */
export function expectStatus(reply: Reply, status: number): Json {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`)
  return reply.body
}

/** Asserts a 400 schema violation whose `fields` equal `fields` exactly. */
export function expectViolation(reply: Reply, fields: Json): void {
  const body = expectStatus(reply, 400)
  assert.equal(body.code, 2)
  assert.equal(body.name, 'schema violation')
  assert.deepEqual(body.fields, fields)
}

/** Asserts the exact `{"message": …}` body Kong sends for non-DAO errors. */
export function expectMessage(reply: Reply, status: number, message: string): void {
  assert.deepEqual(expectStatus(reply, status), { message })
}

export async function createUpstream(client: AdminClient, name: string, extra: Json = {}): Promise<Json> {
  return expectStatus(await client.post('/upstreams', { name, ...extra }), 201)
}

export async function createTarget(
  client: AdminClient,
  upstream: string,
  target: string,
  extra: Json = {}
): Promise<Json> {
  return expectStatus(await client.post(`/upstreams/${upstream}/targets`, { target, ...extra }), 201)
}

export async function createService(client: AdminClient, extra: Json = {}): Promise<Json> {
  return expectStatus(await client.post('/services', { host: 'service.test', ...extra }), 201)
}

export async function createRoute(client: AdminClient, extra: Json = {}): Promise<Json> {
  return expectStatus(await client.post('/routes', { hosts: ['route.test'], ...extra }), 201)
}

/** Follows `offset` from `path` with `size`, returning each page's items. */
export async function collectPages(client: AdminClient, path: string, size: number): Promise<Json[][]> {
  const pages: Json[][] = []
  let offset: string | undefined
  const sep = path.includes('?') ? '&' : '?'
  do {
    const query = `${sep}size=${size}` + (offset ? `&offset=${encodeURIComponent(offset)}` : '')
    const body = expectStatus(await client.get(path + query), 200)
    pages.push(body.data)
    offset = body.offset
    assert.ok(pages.length < 100, 'pagination does not end')
  } while (offset)
  return pages
}

/**
 * Runs `fn` once per encoding as subtests of `t`; the suite's beforeEach empties the tables
 * before each of them, so every encoding starts from the same state.
 */
export async function inEach(
  t: TestContext,
  encodings: readonly Encoding[],
  fn: (enc: Encoding) => Promise<void>
): Promise<void> {
  for (const enc of encodings) await t.test(enc, () => fn(enc))
}
