// Test-only helpers: valid Kong entities built through the same write pipeline the Admin API
// uses, a ConfigState loaded with them, and a proxy listening on port 0.

import {
  caCertificates,
  certificates,
  prepareCreate,
  routes,
  services,
  snis,
  targets,
  upstreams,
  type Entity,
  type EntityDefinition,
} from '@switchyard/entities'
import type { ServiceConfig } from './route-types.js'
import { emptyEntities, type Snapshot } from '@switchyard/cluster'
import { createLogger } from '@switchyard/log'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { ConfigState } from './config-state.js'
import { createProxyServer, type ProxyDeps, type ProxyServer } from './proxy-server.js'
import type { UpstreamHandler, UpstreamRequest } from './upstream-connection.js'

/** A valid entity of any kind through the Admin API's write pipeline; clock and ids may be fixed. */
export function makeEntity(
  def: EntityDefinition,
  input: Entity,
  opts: { now?: number; newId?: () => string } = {}
): Entity {
  const r = prepareCreate(def, input, { now: opts.now ?? Date.now(), newId: opts.newId ?? randomUUID })
  if (!r.ok) throw new Error(`invalid fixture: ${r.error.message}`)
  return r.entity
}

const make = (def: EntityDefinition, input: Entity): Entity => makeEntity(def, input)

export const fx = {
  upstream: (input: Entity) => make(upstreams, input),
  target: (upstream: Entity, input: Entity) => make(targets, { ...input, upstream: { id: upstream['id'] } }),
  service: (input: Entity) => make(services, input),
  route: (service: Entity | null, input: Entity) =>
    make(routes, { ...input, service: service ? { id: service['id'] } : null }),
  certificate: (input: Entity) => make(certificates, input),
  sni: (certificate: Entity, name: string) => make(snis, { name, certificate: { id: certificate['id'] } }),
  caCertificate: (cert: string) => make(caCertificates, { cert }),
}

export function snapshotOf(entities: Partial<Snapshot['entities']>, version = 1): Snapshot {
  return {
    version,
    entities: { ...emptyEntities(), ...entities },
  }
}

export interface TestProxy {
  state: ConfigState
  proxy: ProxyServer
  url: string
  port: number
  close(): Promise<void>
}

export async function startTestProxy(
  snapshot: Snapshot,
  extra: Partial<ProxyDeps> | ((state: ConfigState) => Partial<ProxyDeps>) = {}
): Promise<TestProxy> {
  const state = new ConfigState({ now: () => performance.now(), random: Math.random })
  state.loadSnapshot(snapshot)
  let port = 0
  const proxy = createProxyServer({
    state,
    log: createLogger({ level: 'silent' }),
    port: () => port,
    ...(typeof extra === 'function' ? extra(state) : extra),
  })
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve))
  port = (proxy.server.address() as AddressInfo).port
  return {
    state,
    proxy,
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      proxy.server.closeAllConnections()
      await new Promise<void>((resolve) => proxy.server.close(() => resolve()))
      await proxy.close()
    },
  }
}

/** A router-level service (the compiled form, not a Kong entity), id `s1` unless given. */
export function serviceConfig(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    id: 's1',
    name: null,
    protocol: 'http',
    host: 'upstream.test',
    port: 80,
    path: null,
    retries: 5,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    enabled: true,
    ...over,
  }
}

/** One request through an OriginPool, the whole response collected (or the error it failed with). */
export function exchange(
  pool: { dispatch(req: UpstreamRequest, handler: UpstreamHandler): void },
  req: Partial<UpstreamRequest> & { path: string }
): Promise<{ status: number; headers: Record<string, string | string[]>; body: string }> {
  return new Promise((resolve, reject) => {
    let status = 0
    let headers: Record<string, string | string[]> = {}
    const chunks: Buffer[] = []
    pool.dispatch(
      { method: 'GET', headers: ['host', 'test'], body: null, ...req },
      {
        onConnect: () => {},
        onHeaders: (s, h) => ((status = s), (headers = h), true),
        onData: (c) => (chunks.push(c), true),
        onComplete: () => resolve({ status, headers, body: Buffer.concat(chunks).toString() }),
        onError: reject,
      }
    )
  })
}
