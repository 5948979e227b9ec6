// The configuration hash every node reports so convergence is checkable by anyone (32 hex
// characters, like Kong's configuration_hash). Each entity has a digest: MD5 of its kind and its
// canonical JSON (object keys sorted at every level). The configuration's hash is the MD5 of the
// sum of those digests modulo 2^128. A sum does not depend on order, so the control plane
// (reading Postgres) and a data plane (built from events) agree exactly when their configs do;
// and it updates per change: a data plane subtracts the old entity's digest and adds the new one
// (ConfigHashSum) instead of rehashing 20,000 entities for every version. The digests are cheap
// enough for a first hash of 20,000 entities right after a snapshot: canonicalJson sorts each
// shape of keys once (see keyOrder), and MD5 is one-shot.

import { createHash, hash as cryptoHash } from 'node:crypto'
import { ENTITY_KINDS, type EntityJson, type EntityKind } from './types.js'

const MASK = (1n << 128n) - 1n

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      out += canonicalJson(value[i])
    }
    return `${out}]`
  }
  const obj = value as Record<string, unknown>
  const { order, quoted } = keyOrder(Object.keys(obj))
  let out = '{'
  for (let i = 0; i < order.length; i++) {
    const v = obj[order[i]!]
    if (v === undefined) continue
    if (out.length > 1) out += ','
    out += quoted[i]!
    out += canonicalJson(v)
  }
  return `${out}}`
}

/** An object's keys sorted, and each as `"key":`. */
interface KeyOrder {
  readonly keys: readonly string[]
  readonly order: readonly string[]
  readonly quoted: readonly string[]
}

/**
 * The last key order sorted, per key count. Entities of one kind share their keys in one order
 * (they come from one serialiser), so hashing thousands of them sorts each kind's keys once; a
 * comparison of the key lists (equal strings, usually the same interned ones) stands in for a sort.
 */
const keyOrders = new Map<number, KeyOrder>()

function keyOrder(keys: readonly string[]): KeyOrder {
  const cached = keyOrders.get(keys.length)
  if (cached !== undefined && sameList(cached.keys, keys)) return cached
  const order = [...keys].sort()
  const fresh: KeyOrder = { keys, order, quoted: order.map((k) => `${JSON.stringify(k)}:`) }
  keyOrders.set(keys.length, fresh)
  return fresh
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** One entity's digest, as a 128-bit number; the kind is part of it. */
export function entityDigest(kind: EntityKind, entity: EntityJson): bigint {
  // One-shot crypto.hash (Node ≥ 20.12): cheaper than a Hash object per entity.
  return BigInt(`0x${cryptoHash('md5', `${kind}:${canonicalJson(entity)}`, 'hex')}`)
}


/**
 * An order-independent running sum of entity digests. Add an entity when it appears, remove the
 * digest it was added with when it changes or goes; `hash()` is then what `configHash` gives for
 * the entities currently in the sum.
 */
export class ConfigHashSum {
  private sum = 0n
  private cached: string | undefined

  add(digest: bigint): void {
    this.sum = (this.sum + digest) & MASK
    this.cached = undefined
  }

  remove(digest: bigint): void {
    // BigInt `&` works on two's complement, so a negative difference wraps modulo 2^128.
    this.sum = (this.sum - digest) & MASK
    this.cached = undefined
  }

  clear(): void {
    this.sum = 0n
    this.cached = undefined
  }

  hash(): string {
    // Hashing the sum again keeps the output an ordinary-looking MD5 and an empty configuration
    // off Kong's all-zero "no configuration" value.
    this.cached ??= createHash('md5').update(`config:${this.sum.toString(16).padStart(32, '0')}`).digest('hex')
    return this.cached
  }
}

/** The hash of a whole configuration (see the header); kinds with no entities add nothing. */
export function configHash(entities: Readonly<Partial<Record<EntityKind, Iterable<EntityJson>>>>): string {
  const sum = new ConfigHashSum()
  for (const kind of ENTITY_KINDS) {
    for (const e of entities[kind] ?? []) sum.add(entityDigest(kind, e))
  }
  return sum.hash()
}
