// Target entity, after kong/db/schema/entities/targets.lua and kong/db/dao/targets.lua:
// `host[:port]` normalised with default port 8000, weight 0..65535, millisecond timestamps.
// Extensions: `backup` marks a target used only when no primary target is usable; `rpm` and
// `tpm` are per-target budgets (requests / tokens per minute, null = unlimited), counted
// cluster-wide.

import { parseHost } from './host.js'
import type { EntityDefinition } from './schema.js'
import { id, tags } from './typedefs.js'

export const DEFAULT_TARGET_PORT = 8000
export const INVALID_TARGET = 'Invalid target; not a valid hostname or ip address'

/** Normalises a target string as Kong's DAO does; undefined when it is not valid. */
export function normalizeTarget(target: string): string | undefined {
  const parsed = parseHost(target)
  if (!parsed) return undefined
  return `${parsed.host}:${parsed.port ?? DEFAULT_TARGET_PORT}`
}

export const targets: EntityDefinition = {
  name: 'targets',
  primary_key: 'id',
  endpoint_key: 'target',
  unique: [['upstream', 'target']],
  fields: {
    id: id(),
    created_at: { type: 'number', auto: 'timestamp_ms' },
    updated_at: { type: 'number', auto: 'timestamp_ms' },
    upstream: { type: 'foreign', reference: 'upstreams', required: true, on_delete: 'cascade' },
    target: {
      type: 'string',
      required: true,
      check: (t) => (normalizeTarget(t) ? undefined : INVALID_TARGET),
    },
    weight: { type: 'integer', between: [0, 65535], default: 100 },
    tags: tags(),
    backup: { type: 'boolean', default: false },
    rpm: { type: 'integer', between: [1, 2147483647] },
    tpm: { type: 'integer', between: [1, 2147483647] },
  },
  prepare: (input) => {
    // Stored normalised, so lookups by `host:port` are exact string matches.
    const t = input['target']
    if (typeof t === 'string') {
      const normal = normalizeTarget(t)
      if (normal) input['target'] = normal
    }
    return undefined
  },
}
