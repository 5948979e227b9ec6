// Kong's DAO error catalog (kong/db/errors.lua) and the one HTTP status table the Admin API
// uses (ERRORS_HTTP_CODES in kong/api/endpoints.lua). Errors are values, not exceptions.

import { luaTable } from './lua-table.js'

export const ERROR_CODES = {
  INVALID_PRIMARY_KEY: 1,
  SCHEMA_VIOLATION: 2,
  PRIMARY_KEY_VIOLATION: 3,
  FOREIGN_KEY_VIOLATION: 4,
  UNIQUE_VIOLATION: 5,
  NOT_FOUND: 6,
  INVALID_OFFSET: 7,
  DATABASE_ERROR: 8,
  INVALID_SIZE: 9,
  INVALID_UNIQUE: 10,
  INVALID_OPTIONS: 11,
  FOREIGN_KEYS_UNRESOLVED: 13,
  REFERENCED_BY_OTHERS: 19,
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/** HTTP status for each DAO error code; anything missing is a 500. */
export const ERROR_HTTP_STATUS: Readonly<Record<number, number>> = {
  1: 400,
  2: 400,
  3: 400,
  4: 400,
  5: 409,
  6: 404,
  7: 400,
  9: 400,
  10: 400,
  11: 400,
  13: 400,
  19: 400,
}

/** The body Kong sends for a DAO error; `fields` or `options` depending on the code. */
export interface KongError {
  code: number
  name: string
  message: string
  fields?: unknown
  options?: unknown
}

/** Field error tree as Kong returns it: strings, nested records, positional arrays. */
export type FieldErrors = { [key: string]: FieldError }
export type FieldError = string | string[] | FieldErrors | (FieldError | null)[]

export function isKongError(x: unknown): x is KongError {
  return typeof x === 'object' && x !== null && 'code' in x && 'name' in x && 'message' in x
}

export function statusOf(err: KongError): number {
  return ERROR_HTTP_STATUS[err.code] ?? 500
}

/** Flattens one level of nesting like kong/db/errors.lua does for the message text. */
function violationLines(fields: FieldErrors): string[] {
  const lines: string[] = []
  const entity = fields['@entity']
  if (Array.isArray(entity)) for (const e of entity) if (typeof e === 'string') lines.push(e)
  for (const key of Object.keys(fields).sort()) {
    if (key === '@entity') continue
    const err = fields[key]
    if (typeof err === 'string') {
      lines.push(`${key}: ${err}`)
    } else if (Array.isArray(err)) {
      err.forEach((e, i) => {
        if (e !== null && e !== undefined) lines.push(`${key}.${i + 1}: ${render(e)}`)
      })
    } else if (err) {
      for (const sub of Object.keys(err).sort()) lines.push(`${key}.${sub}: ${render(err[sub]!)}`)
    }
  }
  return lines
}

function render(e: FieldError): string {
  return typeof e === 'string' ? e : luaTable(e)
}

export function schemaViolation(fields: FieldErrors): KongError {
  const lines = violationLines(fields)
  const message =
    lines.length === 1
      ? `schema violation (${lines[0]})`
      : `${lines.length} schema violations (${lines.join('; ')})`
  return { code: 2, name: 'schema violation', message, fields }
}

export function uniqueViolation(fields: Record<string, unknown>): KongError {
  return {
    code: 5,
    name: 'unique constraint violation',
    message: `UNIQUE violation detected on '${luaTable(fields)}'`,
    fields,
  }
}

export function primaryKeyViolation(id: string): KongError {
  return {
    code: 3,
    name: 'primary key violation',
    message: `primary key violation on key '${luaTable({ id })}'`,
    fields: { id },
  }
}

export function notFoundByKey(key: Record<string, string>, isPrimary: boolean): KongError {
  const prefix = isPrimary ? 'primary key ' : ''
  return {
    code: 6,
    name: 'not found',
    message: `could not find the entity with ${prefix}'${luaTable(key)}'`,
    fields: key,
  }
}

export function foreignKeyViolation(field: string, id: string, reference: string): KongError {
  return {
    code: 4,
    name: 'foreign key violation',
    message: `the foreign key '${luaTable({ id })}' does not reference an existing '${reference}' entity.`,
    fields: { [field]: { id } },
  }
}

export function referencedBy(child: string, parent: string): KongError {
  return {
    code: 4,
    name: 'foreign key violation',
    message: `an existing '${child}' entity references this '${parent}' entity`,
    fields: { '@referenced_by': child },
  }
}

export function foreignKeyUnresolved(
  field: string,
  key: Record<string, unknown>,
  reference: string
): KongError {
  const text = `the foreign key cannot be resolved with '${luaTable(key)}' for an existing '${reference}' entity`
  const keyName = Object.keys(key)[0] ?? 'id'
  return {
    code: 13,
    name: 'foreign keys unresolved',
    message: `foreign key unresolved (${field}.${keyName}: ${text})`,
    fields: { [field]: { [keyName]: text } },
  }
}

/** Code 19: a delete refused because other entities still point at the entity by value. */
export function referencedByOthers(message: string): KongError {
  return { code: 19, name: 'referenced by others', message }
}

export function invalidUnique(field: string, message: string): KongError {
  return { code: 10, name: `invalid unique ${field}`, message }
}

export function invalidPrimaryKey(message: string): KongError {
  return {
    code: 1,
    name: 'invalid primary key',
    message: `invalid primary key: '${luaTable({ id: message })}'`,
  }
}

export function invalidOffset(offset: string, reason: 'bad base64 encoding' | 'bad json encoding'): KongError {
  return { code: 7, name: 'invalid offset', message: `'${offset}' is not a valid offset: ${reason}` }
}

export function invalidSize(message: string): KongError {
  return { code: 9, name: 'invalid size', message }
}

export function invalidOptions(option: string, message: string): KongError {
  return {
    code: 11,
    name: 'invalid options',
    message: `invalid option (${option}: ${message})`,
    options: { [option]: message },
  }
}

export function databaseError(message: string): KongError {
  return { code: 8, name: 'database error', message }
}
