// Decodes form-urlencoded and multipart arguments as Kong's kong/api/arguments.lua does:
// dotted keys nest, `x[]` appends, `x[1]` sets a 1-based position, `x[key]` is a map key on
// body methods, repeated keys become arrays; then values are coerced by the entity schema
// (numbers, booleans, "" → null, scalar → one-element array). JSON bodies never come here.

import { getOwn, setOwn } from './own.js'
import type { Entity, Field, Fields } from './schema.js'

type Segment = { key: string } | { index: number } | { append: true }

/** Splits `a.b[1].c[]` into segments; `mapKeys` allows `x[name]` (POST/PUT/PATCH only). */
export function parseKey(key: string, mapKeys: boolean): Segment[] {
  const decoded = key.replace(/%5B/gi, '[').replace(/%5D/gi, ']')
  const segments: Segment[] = []
  for (const part of decoded.split('.')) {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(part)
    if (!m) {
      segments.push({ key: part })
      continue
    }
    if (m[1] !== '') segments.push({ key: m[1]! })
    for (const b of m[2]!.match(/\[[^\]]*\]/g) ?? []) {
      const inner = b.slice(1, -1)
      if (inner === '') segments.push({ append: true })
      else if (/^\d+$/.test(inner)) segments.push({ index: Number(inner) })
      else if (mapKeys) segments.push({ key: inner })
      else segments.push({ key: b })
    }
  }
  return segments
}

type Node = Record<string, unknown> | unknown[]

function assign(container: Node, seg: Segment, value: unknown, combine: boolean): void {
  if ('append' in seg) {
    if (Array.isArray(container)) container.push(value)
    return
  }
  const slot = 'index' in seg ? seg.index - 1 : seg.key
  const old = getOwn(container, slot)
  if (combine && old !== undefined) {
    // Repeated keys become arrays of their values.
    setOwn(container, slot, Array.isArray(old) ? [...old, value] : [old, value])
  } else {
    setOwn(container, slot, value)
  }
}

function child(container: Node, seg: Segment, nextSeg: Segment): Node {
  const wantArray = 'index' in nextSeg || 'append' in nextSeg
  if ('append' in seg) {
    const created: Node = wantArray ? [] : {}
    if (Array.isArray(container)) container.push(created)
    else {
      // `x[]` after `x.y` was used: x is a record, which cannot take an appended element. Lua
      // would append at #x + 1; the next free position (0-based, as `x[i]` slots are) is that.
      let slot = 0
      while (getOwn(container, slot) !== undefined) slot++
      setOwn(container, slot, created)
    }
    return created
  }
  const slot = 'index' in seg ? seg.index - 1 : seg.key
  const existing = getOwn(container, slot)
  if (existing !== null && typeof existing === 'object') return existing as Node
  const created: Node = wantArray ? [] : {}
  setOwn(container, slot, created)
  return created
}

/**
 * `x[2]=b` without `x[1]` gives a Lua table that is not a sequence, which Kong's validator
 * rejects as "expected an array/set". A JS array with a hole would instead pass the type
 * check, so such arrays become objects keyed by 1-based position.
 */
function closeHoles(value: unknown): unknown {
  if (Array.isArray(value)) {
    // Counting the present indexes, not walking `length`: `x[99999999]=1` is one element.
    const present = Object.keys(value)
    if (present.length === value.length) return value.map(closeHoles)
    const out: Entity = {}
    for (const i of present) setOwn(out, String(Number(i) + 1), closeHoles(value[Number(i)]))
    return out
  }
  if (value !== null && typeof value === 'object') {
    const out: Entity = {}
    for (const [k, v] of Object.entries(value)) setOwn(out, k, closeHoles(v))
    return out
  }
  return value
}

/** Builds the nested structure from ordered key/value pairs. */
export function decodePairs(pairs: Iterable<[string, string]>, mapKeys: boolean): Entity {
  const root: Entity = {}
  for (const [key, value] of pairs) {
    const segs = parseKey(key, mapKeys)
    if (segs.length === 0) continue
    let node: Node = root
    for (let i = 0; i < segs.length - 1; i++) node = child(node, segs[i]!, segs[i + 1]!)
    assign(node, segs[segs.length - 1]!, value, true)
  }
  return closeHoles(root) as Entity
}

const NUMERIC = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/

/** Coerces one decoded value by its schema field (Kong's infer_value). */
export function inferValue(value: unknown, field: Field): unknown {
  if (value === '') return null
  switch (field.type) {
    case 'integer':
    case 'number':
      return typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value
    case 'array':
    case 'set': {
      // Only a scalar is wrapped (Kong wraps non-tables); an object stays one, so a
      // non-sequence (`x[2]` alone) is reported as "expected an array/set".
      if (Array.isArray(value)) return value.map((v) => inferValue(v, field.elements))
      if (value === undefined || value === null || typeof value === 'object') return value
      return [inferValue(value, field.elements)]
    }
    case 'map':
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const out: Entity = {}
        for (const [k, v] of Object.entries(value)) setOwn(out, k, inferValue(v, field.values))
        return out
      }
      return value
    case 'record':
      return value && typeof value === 'object' && !Array.isArray(value)
        ? inferFields(value as Entity, field.fields)
        : value
    case 'foreign':
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const out: Entity = {}
        for (const [k, v] of Object.entries(value)) setOwn(out, k, v === '' ? null : v)
        return out
      }
      return value
    default:
      return value
  }
}

/** Coerces every known field of a decoded object; unknown keys pass through untouched. */
export function inferFields(input: Entity, fields: Fields, extra: Fields = {}): Entity {
  const out: Entity = {}
  for (const [k, v] of Object.entries(input)) {
    const field = (getOwn(fields, k) ?? getOwn(extra, k)) as Field | undefined
    setOwn(out, k, field ? inferValue(v, field) : v)
  }
  return out
}
