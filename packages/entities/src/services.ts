// Service entity, after kong/db/schema/entities/services.lua, with the `url` shorthand.

import { MSG } from './messages.js'
import type { Entity, EntityCheckResult, EntityDefinition } from './schema.js'
import { checkHost, createdAt, id, path, port, tags, timeoutMs, updatedAt, utf8Name } from './typedefs.js'

export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const
const TLS_PROTOCOLS = ['https', 'tls']
const NON_HTTP = PROTOCOLS.filter((p) => p !== 'http' && p !== 'https')
const NOT_TLS = PROTOCOLS.filter((p) => !TLS_PROTOCOLS.includes(p))

const URL_WITH_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/

/** Splits a `url` shorthand into protocol/host/port/path the way Kong's url.parse does. */
export function parseServiceUrl(url: string): Entity {
  const m = URL_WITH_SCHEME.exec(url)
  if (!m) {
    // No scheme: socket.url treats the whole string as a path.
    return { host: null, path: url === '' ? null : url }
  }
  const scheme = m[1]!.toLowerCase()
  const authority = m[2]!
  const rawPath = m[3]!
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority)
  const host = hp?.[1] ? hp[1] : null
  const portText = hp?.[2]
  const defaultPort = scheme === 'https' ? 443 : 80
  return {
    protocol: scheme,
    host,
    port: portText ? Number(portText) : defaultPort,
    path: rawPath === '' ? null : rawPath,
  }
}

function expandUrl(input: Entity): EntityCheckResult | undefined {
  if (!('url' in input)) return undefined
  const url = input['url']
  delete input['url']
  if (typeof url !== 'string') return { fields: { url: MSG.TYPE.string } }
  Object.assign(input, parseServiceUrl(url.trim() === '' ? url : url))
  return undefined
}

export const services: EntityDefinition = {
  name: 'services',
  primary_key: 'id',
  endpoint_key: 'name',
  unique: ['name'],
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    name: utf8Name(),
    retries: { type: 'integer', between: [0, 32767], default: 5 },
    protocol: { type: 'string', one_of: PROTOCOLS, required: true, default: 'http' },
    host: { type: 'string', required: true, check: checkHost },
    port: port({ required: true, default: 80 }),
    path: path(),
    connect_timeout: timeoutMs(),
    write_timeout: timeoutMs(),
    read_timeout: timeoutMs(),
    tags: tags(),
    client_certificate: { type: 'foreign', reference: 'certificates' },
    tls_verify: { type: 'boolean' },
    tls_verify_depth: { type: 'integer', between: [0, 64] },
    ca_certificates: { type: 'array', elements: { type: 'string', uuid: true } },
    enabled: { type: 'boolean', required: true, default: true },
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'protocol',
        if_match: NON_HTTP,
        then_field: 'path',
        then_match: { is_null: true },
      },
    },
    ...['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates'].map(
      (then_field) =>
        ({
          conditional: {
            if_field: 'protocol',
            if_match: NOT_TLS,
            then_field,
            then_match: { is_null: true },
          },
        }) as const
    ),
  ],
  prepare: expandUrl,
}
