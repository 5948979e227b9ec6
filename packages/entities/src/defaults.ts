// Fills defaults the way Kong's process_auto_fields does on insert: every absent field is
// written with its default (deep-copied) or an explicit null, recursively into records.
// An explicit null on an optional field that has a default also takes the default: Kong would
// store the null, but our columns for such fields are NOT NULL (and the data plane needs a
// value), while `slots=` in a form means "unset" — back to the default. Required fields keep
// the null and fail validation with "required field missing", as in Kong.

import { getOwn, setOwn } from './own.js'
import type { Entity, Field, Fields } from './schema.js'

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T)
}

/** Returns a copy of `input` with defaults and nulls for every field of `fields`. */
export function withDefaults(fields: Fields, input: Entity): Entity {
  const out: Entity = { ...input }
  for (const [name, field] of Object.entries(fields)) {
    const value = out[name]
    if (field.type === 'record') {
      if (value === undefined || (value === null && field.default !== undefined)) {
        out[name] = field.default === undefined ? null : withDefaults(field.fields, clone(field.default) as Entity)
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        out[name] = withDefaults(field.fields, value as Entity)
      }
    } else if (value === undefined || (value === null && field.default !== undefined && !field.required)) {
      out[name] = field.default === undefined ? null : clone(field.default)
    } else if ((field.type === 'array' || field.type === 'set') && field.elements.type === 'record' && Array.isArray(value)) {
      // Records inside a collection get their nulls too (route sources: `{ip}` → `{ip, port: null}`).
      const record = field.elements
      out[name] = value.map((e: unknown) =>
        e !== null && typeof e === 'object' && !Array.isArray(e) ? withDefaults(record.fields, e as Entity) : e
      )
    }
  }
  return out
}

/**
 * Lua reads `{}` and `[]` as the same empty table: an empty JSON object given for an array or
 * set field is an empty array, an empty JSON array given for a map is an empty map.
 */
export function coerceEmptyTables(fields: Fields, entity: Entity): void {
  for (const [name, field] of Object.entries(fields)) {
    if (!Object.hasOwn(entity, name)) continue
    const value = entity[name]
    if ((field.type === 'array' || field.type === 'set') && isEmptyObject(value)) entity[name] = []
    else if (field.type === 'map' && Array.isArray(value) && value.length === 0) entity[name] = {}
    else if (field.type === 'record' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      coerceEmptyTables(field.fields, value as Entity)
    }
  }
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0
}

/**
 * PATCH semantics: records merge leaf by leaf; everything else (arrays, maps, scalars)
 * is replaced by the new value.
 */
export function mergeUpdate(fields: Fields, stored: Entity, patch: Entity): Entity {
  const out: Entity = { ...stored }
  for (const [name, value] of Object.entries(patch)) {
    // Own properties only: the patch is client input and may name `__proto__`.
    const field = getOwn(fields, name) as Field | undefined
    const old = getOwn(out, name)
    if (
      field?.type === 'record' &&
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      old !== null &&
      typeof old === 'object' &&
      !Array.isArray(old)
    ) {
      setOwn(out, name, mergeUpdate(field.fields, old as Entity, value as Entity))
    } else {
      setOwn(out, name, value)
    }
  }
  return out
}

/** Removes duplicate elements of set fields, keeping first occurrences (Kong's sets). */
export function dedupeSets(fields: Fields, entity: Entity): void {
  for (const [name, field] of Object.entries(fields)) {
    const value = entity[name]
    if (field.type === 'set' && Array.isArray(value)) {
      const seen = new Set<string>()
      entity[name] = value.filter((v) => {
        const key = JSON.stringify(v)
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
    } else if (field.type === 'record' && value && typeof value === 'object') {
      dedupeSets(field.fields, value as Entity)
    }
  }
}
