// The configuration hash every node reports so convergence is checkable by anyone: MD5 (32 hex
// characters, like Kong's configuration_hash) of a canonical JSON of every entity — kinds in a
// fixed order, entities sorted by id, object keys sorted — so the control plane (reading
// Postgres) and a data plane (built from events) agree exactly when their configs do.

import { createHash } from 'node:crypto'
import { ENTITY_KINDS, type EntityJson, type EntityKind } from './types.js'

/** The kinds every hash has always covered, empty or not. */
const BASE_KINDS: readonly EntityKind[] = ['upstreams', 'targets', 'services', 'routes', 'plugins']

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`
}

/**
 * A kind with no entities adds nothing, so adding a kind to the protocol leaves the hash of
 * every configuration that does not use it unchanged.
 */
export function configHash(entities: Readonly<Partial<Record<EntityKind, Iterable<EntityJson>>>>): string {
  const hash = createHash('md5')
  for (const kind of ENTITY_KINDS) {
    const list = [...(entities[kind] ?? [])]
    if (list.length === 0 && !BASE_KINDS.includes(kind)) continue
    const sorted = list.sort((a, b) => (String(a['id']) < String(b['id']) ? -1 : 1))
    hash.update(`${kind}:`)
    for (const e of sorted) hash.update(canonicalJson(e) + '\n')
  }
  return hash.digest('hex')
}
