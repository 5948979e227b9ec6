// What the control plane hands to data planes: versioned change events (the outbox rows) and
// full snapshots. Entities travel as Kong's JSON; data planes read only the fields they need.

export type EntityKind =
  | 'upstreams'
  | 'targets'
  | 'services'
  | 'routes'
  | 'plugins'
  | 'consumers'
  | 'keyauth_credentials'
  | 'certificates'
  | 'snis'
  | 'ca_certificates'
export const ENTITY_KINDS: readonly EntityKind[] = [
  'upstreams',
  'targets',
  'services',
  'routes',
  'plugins',
  'consumers',
  'keyauth_credentials',
  'certificates',
  'snis',
  'ca_certificates',
]

export type EntityJson = Record<string, unknown>

/** One empty list per kind: the entities of an empty configuration. */
export function emptyEntities(): Record<EntityKind, EntityJson[]> {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as Record<EntityKind, EntityJson[]>
}

/** One committed change; `version` increases by one per change, cluster-wide. */
export interface ConfigEvent {
  version: number
  entity: EntityKind
  op: 'upsert' | 'delete'
  id: string
  /** The entity after an upsert, or the entity as it was when deleted. */
  payload: EntityJson | null
}

/** Every entity and the version it reflects. */
export interface Snapshot {
  /**
   * The database's cluster epoch: versions compare only within one epoch (a recreated or
   * restored database starts again). Undefined in standalone mode and in old cache files.
   */
  epoch?: string | undefined
  version: number
  entities: Record<EntityKind, EntityJson[]>
}
