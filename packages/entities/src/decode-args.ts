// Decodes form-urlencoded and multipart arguments as Kong's kong/api/arguments.lua does:
// dotted keys nest, `x[]` appends, `x[1]` sets a 1-based position, `x[key]` is a map key on
// body methods, repeated keys become arrays; then values are coerced by the entity schema
// (numbers, booleans, "" → null, scalar → one-element array). JSON bodies never come here.

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
  const target = container as Record<string | number, unknown>
  const old = target[slot]
  if (combine && old !== undefined) {
    // Repeated keys become arrays of their values.
    target[slot] = Array.isArray(old) ? [...old, value] : [old, value]
  } else {
    target[slot] = value
  }
}

function child(container: Node, seg: Segment, nextSeg: Segment): Node {
  const wantArray = 'index' in nextSeg || 'append' in nextSeg
  if ('append' in seg) {
    const created: Node = wantArray ? [] : {}
    ;(container as unknown[]).push(created)
    return created
  }
  const slot = 'index' in seg ? seg.index - 1 : seg.key
  const target = container as Record<string | number, unknown>
  const existing = target[slot]
  if (existing !== null && typeof existing === 'object') return existing as Node
  const created: Node = wantArray ? [] : {}
  target[slot] = created
  return created
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
  return root
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
      const list = Array.isArray(value) ? value : value === undefined || value === null ? value : [value]
      return Array.isArray(list) ? list.map((v) => inferValue(v, field.elements)) : list
    }
    case 'map':
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const out: Entity = {}
        for (const [k, v] of Object.entries(value)) out[k] = inferValue(v, field.values)
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
        for (const [k, v] of Object.entries(value)) out[k] = v === '' ? null : v
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
    const field = fields[k] ?? extra[k]
    out[k] = field ? inferValue(v, field) : v
  }
  return out
}
