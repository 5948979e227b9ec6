// The control plane's config hash, kept up to date from outbox events instead of a full read of
// the database for every version. It holds each entity's digest (and, for entities that a delete
// cascades to, the parent they hang from), applies events exactly as a data plane's ConfigState
// does — the same cascades: an upstream's targets, the plugins of a route, service or consumer,
// a consumer's key-auth credentials, a certificate's SNIs — so its hash equals both a full
// configHash of the database and the hash every data plane reports for the same version.
// Pure logic: the SnapshotCache reads the events and feeds them in.

import { ConfigHashSum, entityDigest, ENTITY_KINDS, type ConfigEvent, type EntityJson, type EntityKind } from '@switchyard/cluster'

/** Which parents a delete cascades from, per child kind (mirrors ConfigState.apply). */
const CASCADES: ReadonlyArray<{ child: EntityKind; field: string; parent: EntityKind }> = [
  { child: 'targets', field: 'upstream', parent: 'upstreams' },
  { child: 'plugins', field: 'route', parent: 'routes' },
  { child: 'plugins', field: 'service', parent: 'services' },
  { child: 'plugins', field: 'consumer', parent: 'consumers' },
  { child: 'keyauth_credentials', field: 'consumer', parent: 'consumers' },
  { child: 'snis', field: 'certificate', parent: 'certificates' },
]
const CASCADES_BY_CHILD = new Map<EntityKind, typeof CASCADES>()
for (const c of CASCADES) CASCADES_BY_CHILD.set(c.child, [...(CASCADES_BY_CHILD.get(c.child) ?? []), c])

interface Tracked {
  digest: bigint
  /** `parentKind:parentId` keys this entity is removed with. */
  parents: string[]
}

function refId(entity: EntityJson, field: string): string | undefined {
  return (entity[field] as { id?: string } | null | undefined)?.id
}

export class ConfigHashTracker {
  readonly sum = new ConfigHashSum()
  private readonly entities = Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Map()])) as Record<
    EntityKind,
    Map<string, Tracked>
  >
  /** `parentKind:parentId` → the children (kind and id) a delete of that parent removes. */
  private readonly children = new Map<string, Map<string, EntityKind>>()

  constructor(
    readonly epoch: string,
    public version: number,
    entities: Readonly<Partial<Record<EntityKind, readonly EntityJson[]>>>
  ) {
    for (const kind of ENTITY_KINDS) {
      for (const e of entities[kind] ?? []) this.put(kind, String(e['id']), e)
    }
  }

  hash(): string {
    return this.sum.hash()
  }

  /** Applies one event; events at or below the current version are ignored. */
  apply(event: ConfigEvent): void {
    if (event.version <= this.version) return
    if (event.op === 'delete') {
      this.remove(event.entity, event.id)
      // A delete removes what hangs from the entity, as the foreign keys do in the database.
      const key = `${event.entity}:${event.id}`
      const dependants = this.children.get(key)
      if (dependants) {
        for (const [id, kind] of [...dependants]) this.remove(kind, id)
        this.children.delete(key)
      }
    } else if (event.payload) {
      this.put(event.entity, event.id, event.payload)
    }
    this.version = event.version
  }

  private put(kind: EntityKind, id: string, entity: EntityJson): void {
    this.remove(kind, id)
    const parents: string[] = []
    for (const c of CASCADES_BY_CHILD.get(kind) ?? []) {
      const parentId = refId(entity, c.field)
      if (parentId === undefined) continue
      const key = `${c.parent}:${parentId}`
      parents.push(key)
      let set = this.children.get(key)
      if (!set) {
        set = new Map()
        this.children.set(key, set)
      }
      set.set(id, kind)
    }
    const digest = entityDigest(kind, entity)
    this.entities[kind].set(id, { digest, parents })
    this.sum.add(digest)
  }

  private remove(kind: EntityKind, id: string): void {
    const old = this.entities[kind].get(id)
    if (!old) return
    this.entities[kind].delete(id)
    this.sum.remove(old.digest)
    for (const key of old.parents) {
      const set = this.children.get(key)
      set?.delete(id)
      if (set?.size === 0) this.children.delete(key)
    }
  }
}
