// decK end to end: the installed decK 1.4 binary (Debian package `deck`, installed by
// scripts/deck.sh when missing) drives the gateway's Admin API through ping, sync of a state
// file (certificates with SNIs, services, routes, upstreams with targets, consumers with key-auth credentials,
// plugins on a route, on a consumer and global), dump (the same content back), a second sync
// that changes nothing, and reset. Between sync and dump the synced key-auth setup answers
// real proxy traffic. A certificate with two SNIs (one a wildcard) goes through the same
// round trip. When decK cannot be installed the test fails; it never skips.

import { createCertificate, type CertificatePair } from '@switchyard/server'
import { createTestDatabase, startGateway, startUpstream, type GatewayProcess, type TestDatabase, type UpstreamServer } from '@switchyard/test-kit'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const DECK_TIMEOUT_MS = 120_000
// decK 1.4 requires certificates to carry their id in the state file.
const CERT_ID = 'c3a1e2d4-5b6f-4a7b-8c9d-0e1f2a3b4c5d'

let deck: string
let db: TestDatabase | undefined
let gateway: GatewayProcess | undefined
let llmA: UpstreamServer | undefined
let llmB: UpstreamServer | undefined
let workDir: string

/** The state file in the complete form decK dumps (decK 1.4 fills few defaults itself). */
function stateFile(targets: string[], cert: CertificatePair): string {
  return `_format_version: "1.1"
certificates:
- id: ${CERT_ID}
  cert: ${JSON.stringify(cert.cert)}
  key: ${JSON.stringify(cert.key)}
  tags:
  - deck
  snis:
  - name: '*.deck.test'
  - name: api.deck.test
services:
- connect_timeout: 60000
  host: llm.upstream
  name: ai
  port: 80
  protocol: http
  read_timeout: 60000
  retries: 5
  write_timeout: 60000
  tags:
  - deck
  routes:
  - name: chat
    methods:
    - POST
    - GET
    paths:
    - /v1/chat
    path_handling: v0
    preserve_host: false
    protocols:
    - http
    - https
    regex_priority: 0
    strip_path: false
    tags:
    - deck
    https_redirect_status_code: 426
    request_buffering: true
    response_buffering: true
    plugins:
    - name: key-auth
      config:
        anonymous: null
        hide_credentials: true
        key_in_body: false
        key_in_header: true
        key_in_query: true
        key_names:
        - apikey
        - x-api-key
        realm: null
        run_on_preflight: true
      enabled: true
      protocols:
      - grpc
      - grpcs
      - http
      - https
consumers:
- custom_id: A
  username: team-a
  tags:
  - deck
  plugins:
  - name: rate-limiting
    config:
      day: null
      error_code: 429
      error_message: API rate limit exceeded
      fault_tolerant: true
      header_name: null
      hide_client_headers: false
      hour: null
      limit_by: consumer
      minute: 100
      month: null
      path: null
      policy: local
      redis:
        database: 0
        host: null
        password: null
        port: 6379
        server_name: null
        ssl: false
        ssl_verify: false
        timeout: 2000
        username: null
      second: null
      sync_rate: -1
      year: null
    enabled: true
    protocols:
    - grpc
    - grpcs
    - http
    - https
  keyauth_credentials:
  - key: team-a-key
- username: team-b
  keyauth_credentials:
  - key: team-b-key
plugins:
- name: prometheus
  config:
    ai_metrics: false
    bandwidth_metrics: false
    latency_metrics: false
    per_consumer: true
    status_code_metrics: true
    upstream_health_metrics: false
  enabled: true
  protocols:
  - grpc
  - grpcs
  - http
  - https
upstreams:
- name: llm.upstream
  algorithm: consistent-hashing
  slots: 10000
  healthchecks:
    active:
      concurrency: 10
      healthy:
        http_statuses:
        - 200
        - 302
        interval: 0
        successes: 0
      http_path: /
      https_verify_certificate: true
      type: http
      timeout: 1
      unhealthy:
        http_failures: 0
        http_statuses:
        - 429
        - 404
        - 500
        - 501
        - 502
        - 503
        - 504
        - 505
        tcp_failures: 0
        timeouts: 0
        interval: 0
    passive:
      healthy:
        http_statuses:
        - 200
        - 201
        - 202
        - 203
        - 204
        - 205
        - 206
        - 207
        - 208
        - 226
        - 300
        - 301
        - 302
        - 303
        - 304
        - 305
        - 306
        - 307
        - 308
        successes: 0
      type: http
      unhealthy:
        http_failures: 0
        http_statuses:
        - 429
        - 500
        - 503
        tcp_failures: 0
        timeouts: 0
    threshold: 0
  hash_on: consumer
  hash_fallback: ip
  hash_on_cookie_path: /
  tags:
  - deck
  targets:
${targets.map((t, i) => `  - target: ${t}\n    weight: ${100 - i * 50}`).join('\n')}
`
}

function runDeck(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      deck,
      [...args, '--kong-addr', gateway!.admin],
      { cwd: workDir, timeout: DECK_TIMEOUT_MS, env: { ...process.env, HOME: workDir } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, out: `${stdout}${stderr}` })
      }
    )
  })
}

async function deckOk(args: string[]): Promise<string> {
  const r = await runDeck(args)
  assert.equal(r.code, 0, `deck ${args.join(' ')} failed:\n${r.out}\n--- gateway ---\n${gateway?.output().slice(-3000)}`)
  return r.out
}

async function admin(pathname: string): Promise<{ status: number; body: { data: unknown[] } & Record<string, unknown> }> {
  const res = await fetch(gateway!.admin + pathname)
  return { status: res.status, body: (await res.json()) as { data: unknown[] } }
}

/** Targets in a stable order, so file and dump compare whatever order decK writes them in. */
function normalized(yamlText: string): unknown {
  const doc = parse(yamlText) as { upstreams?: { targets?: { target: string }[] }[] }
  for (const u of doc.upstreams ?? []) u.targets?.sort((a, b) => a.target.localeCompare(b.target))
  return doc
}

before(async () => {
  // Installs decK when missing; throws (failing the test) when that is impossible.
  deck = execFileSync('bash', [path.join(REPO, 'scripts/deck.sh')], { encoding: 'utf8' }).trim()
  workDir = mkdtempSync(path.join(tmpdir(), 'switchyard-deck-'))
  llmA = await startUpstream('llm-a')
  llmB = await startUpstream('llm-b')
  db = await createTestDatabase()
  gateway = await startGateway({ DATABASE_URL: db.url })
})

after(async () => {
  await gateway?.stop()
  await db?.drop()
  await llmA?.close()
  await llmB?.close()
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

test('decK 1.4: ping, sync, traffic, dump, idempotent sync, reset', async () => {
  const ping = await deckOk(['ping'])
  assert.match(ping, /Successfully connected to Kong!/)
  assert.match(ping, /Kong version: +3\.9/)

  const targets = [llmA!, llmB!].map((u) => `${u.host}:${u.port}`)
  const now = Date.now()
  const cert = createCertificate({ commonName: 'api.deck.test', altNames: ['api.deck.test', '*.deck.test'], notBefore: now - 60_000, notAfter: now + 86_400_000 })
  const state = stateFile(targets, cert)
  writeFileSync(path.join(workDir, 'kong.yaml'), state)
  const first = await deckOk(['sync', '-s', 'kong.yaml'])
  assert.match(first, /Created: 15\s+Updated: 0\s+Deleted: 0/, first)

  // What decK wrote is served: consumers, credentials, plugins in every scope.
  const consumers = (await admin('/consumers')).body.data as { username: string }[]
  assert.deepEqual(consumers.map((c) => c.username).sort(), ['team-a', 'team-b'])
  assert.equal((await admin('/key-auths')).body.data.length, 2)
  assert.equal((await admin('/consumers/team-a/plugins')).body.data.length, 1)
  assert.equal((await admin('/plugins')).body.data.length, 3)
  const certs = (await admin('/certificates')).body.data as { cert: string }[]
  assert.equal(certs.length, 1)
  assert.equal(certs[0]!.cert, cert.cert)
  const snis = (await admin('/snis')).body.data as { name: string }[]
  assert.deepEqual(snis.map((x) => x.name).sort(), ['*.deck.test', 'api.deck.test'])

  // And it proxies: key-auth on the route, the consumer announced upstream, the key hidden.
  const denied = await fetch(`${gateway!.proxy}/v1/chat`)
  assert.equal(denied.status, 401)
  assert.equal(((await denied.json()) as { message: string }).message, 'No API key found in request')
  // The proxy applies what the Admin API committed a moment later (on a loaded machine, after
  // the reads above): ask until the targets and the last plugin decK wrote are in force (a 503
  // until the targets are), for at most 5 s.
  let counts = [llmA!.requests.length, llmB!.requests.length]
  let ok = await fetch(`${gateway!.proxy}/v1/chat`, { headers: { 'x-api-key': 'team-a-key' } })
  await ok.text()
  for (let i = 0; i < 50 && (ok.status !== 200 || ok.headers.get('x-ratelimit-limit-minute') === null); i++) {
    await new Promise((r) => setTimeout(r, 100))
    counts = [llmA!.requests.length, llmB!.requests.length]
    ok = await fetch(`${gateway!.proxy}/v1/chat`, { headers: { 'x-api-key': 'team-a-key' } })
    await ok.text()
  }
  assert.equal(ok.status, 200)
  assert.equal(ok.headers.get('x-ratelimit-limit-minute'), '100', 'the consumer-scoped rate limit applies')
  const reached = [llmA!, llmB!].filter((u, i) => u.requests.length > counts[i]!)
  assert.equal(reached.length, 1, 'one upstream target got the request')
  const upstreamSaw = reached[0]!.requests.at(-1)!
  assert.equal(upstreamSaw.headers['x-consumer-username'], 'team-a')
  assert.equal(upstreamSaw.headers['x-consumer-custom-id'], 'A')
  assert.equal(upstreamSaw.headers['x-api-key'], undefined, 'hide_credentials')

  await deckOk(['dump', '-o', 'dump.yaml'])
  const dumped = readFileSync(path.join(workDir, 'dump.yaml'), 'utf8')
  assert.deepEqual(normalized(dumped), normalized(state))

  const second = await deckOk(['sync', '-s', 'kong.yaml'])
  assert.match(second, /Created: 0\s+Updated: 0\s+Deleted: 0/, second)
  const diff = await deckOk(['diff', '-s', 'dump.yaml'])
  assert.match(diff, /Created: 0\s+Updated: 0\s+Deleted: 0/, diff)

  await deckOk(['reset', '-f'])
  for (const collection of ['/services', '/routes', '/upstreams', '/consumers', '/plugins', '/key-auths', '/certificates', '/snis']) {
    const r = await admin(collection)
    assert.equal(r.status, 200)
    assert.deepEqual(r.body.data, [], `${collection} is empty after reset`)
  }
  const emptied = await deckOk(['dump', '-o', '-'])
  assert.equal(emptied.trim(), '_format_version: "1.1"')
})
