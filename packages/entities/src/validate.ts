// Validates a complete entity against its definition. Field-level checks are compiled once
// per entity into an ajv schema (types, bounds, lengths, required, unknown fields); our own
// checks (one_of with Kong's wording, hostnames, paths, tags) run as one ajv keyword. ajv's
// errors are then mapped onto Kong's field-error tree, and the entity checks run on top.

import { Ajv, type ErrorObject, type SchemaObject } from 'ajv'
import { MSG } from './messages.js'
import type { FieldError, FieldErrors } from './errors.js'
import { getOwn, setOwn } from './own.js'
import { ENTITIES } from './registry.js'
import type { CheckContext, Entity, EntityDefinition, Field } from './schema.js'
import { isUuid } from './typedefs.js'

type Checker = (value: unknown) => string | undefined

const checkers: Checker[] = []

/** Registers a value check reachable from compiled schemas by its index. */
function registerChecker(fn: Checker): number {
  checkers.push(fn)
  return checkers.length - 1
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true })
// Annotations read back when mapping errors; they have no validation meaning of their own.
ajv.addVocabulary(['x-type', 'x-foreign'])
ajv.addKeyword({
  keyword: 'x-check',
  schemaType: 'number',
  errors: true,
  validate: function check(this: unknown, index: number, data: unknown) {
    const msg = checkers[index]?.(data)
    if (msg === undefined) return true
    ;(check as unknown as { errors: Partial<ErrorObject>[] }).errors = [
      { keyword: 'x-check', message: msg, params: {} },
    ]
    return false
  },
})

function valueChecker(field: Field): Checker | undefined {
  const parts: Checker[] = []
  if (field.type === 'string') {
    // Before any other check: Postgres would refuse to store the value (a 500).
    parts.push((v) => (typeof v === 'string' && v.includes('\u0000') ? MSG.NUL_CHARACTER : undefined))
    if (field.uuid) parts.push((v) => (typeof v === 'string' && !isUuid(v) ? MSG.UUID : undefined))
    const oneOf = field.one_of
    if (oneOf) {
      const accepted = [...oneOf, ...(field.one_of_extensions ?? [])]
      parts.push((v) => (typeof v === 'string' && !accepted.includes(v) ? MSG.oneOf(oneOf) : undefined))
    }
    const check = field.check
    if (check) parts.push((v) => (typeof v === 'string' ? check(v) : undefined))
  } else if ((field.type === 'integer' || field.type === 'number') && field.one_of) {
    const oneOf = field.one_of
    parts.push((v) => (typeof v === 'number' && !oneOf.includes(v) ? MSG.oneOf(oneOf) : undefined))
  } else if ((field.type === 'array' || field.type === 'set') && field.check) {
    const check = field.check
    parts.push((v) => (Array.isArray(v) ? check(v) : undefined))
  } else if (field.type === 'map') {
    const keyCheck = field.keys.check
    if (keyCheck) {
      parts.push((v) => {
        if (typeof v !== 'object' || v === null) return undefined
        for (const k of Object.keys(v)) {
          const msg = keyCheck(k)
          if (msg) return msg
        }
        return undefined
      })
    }
  }
  if (parts.length === 0) return undefined
  return (v) => {
    for (const p of parts) {
      const msg = p(v)
      if (msg !== undefined) return msg
    }
    return undefined
  }
}

const JSON_TYPE: Record<Field['type'], string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  array: 'array',
  set: 'array',
  map: 'object',
  record: 'object',
  foreign: 'object',
}

const isEmptyTable = (v: unknown) =>
  (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)

function toJsonSchema(field: Field): SchemaObject {
  const forbidden = field.forbidden
  if (forbidden !== undefined) {
    const check = (v: unknown) => (v === null || v === undefined || isEmptyTable(v) ? undefined : forbidden)
    return { 'x-check': registerChecker(check) }
  }
  const type = JSON_TYPE[field.type]
  const schema: SchemaObject = {
    type: field.required ? type : [type, 'null'],
    'x-type': field.type,
  }
  switch (field.type) {
    case 'string':
      schema['minLength'] = field.len_min ?? 1
      break
    case 'integer':
    case 'number':
      if (field.between) {
        schema['minimum'] = field.between[0]
        schema['maximum'] = field.between[1]
      }
      break
    case 'array':
    case 'set':
      schema['items'] = toJsonSchema(field.elements)
      if (field.len_min !== undefined) schema['minItems'] = field.len_min
      break
    case 'map':
      schema['additionalProperties'] = toJsonSchema(field.values)
      break
    case 'record':
      Object.assign(schema, recordSchema(field.fields))
      break
    case 'foreign':
      schema['x-foreign'] = field.reference
      schema['properties'] = { id: { type: 'string', 'x-type': 'string', 'x-check': uuidCheck } }
      schema['required'] = ['id']
      break
  }
  const checker = valueChecker(field)
  if (checker) schema['x-check'] = registerChecker(checker)
  return schema
}

const uuidCheck = registerChecker((v) =>
  typeof v === 'string' && !isUuid(v) ? MSG.UUID : undefined
)

function recordSchema(fields: Readonly<Record<string, Field>>): SchemaObject {
  const properties: Record<string, SchemaObject> = {}
  const required: string[] = []
  for (const [name, f] of Object.entries(fields)) {
    properties[name] = toJsonSchema(f)
    if (f.required) required.push(name)
  }
  return { properties, required, additionalProperties: false }
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }
const compiled = new WeakMap<EntityDefinition, Validator>()
const compiledPartial = new WeakMap<EntityDefinition, Validator>()

function validatorFor(def: EntityDefinition): Validator {
  let v = compiled.get(def)
  if (!v) {
    v = ajv.compile({ type: 'object', ...recordSchema(def.fields) }) as Validator
    compiled.set(def, v)
  }
  return v
}

/** The entity's field checks with no top-level field required (Kong's `validate(v, false)`). */
function partialValidatorFor(def: EntityDefinition): Validator {
  let v = compiledPartial.get(def)
  if (!v) {
    v = ajv.compile({ type: 'object', ...recordSchema(def.fields), required: [] }) as Validator
    compiledPartial.set(def, v)
  }
  return v
}

/** Places `msg` at `path` in the error tree; numeric segments make positional arrays. */
function setError(tree: FieldErrors, path: string[], msg: string): void {
  let node: Record<string, unknown> | unknown[] = tree
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!
    const last = i === path.length - 1
    const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!)
    if (Array.isArray(node)) {
      const idx = Number(seg)
      while (node.length < idx) node.push(null)
      if (last) {
        if (node[idx] === undefined || node[idx] === null) node[idx] = msg
        return
      }
      if (typeof node[idx] !== 'object' || node[idx] === null) node[idx] = nextIsIndex ? [] : {}
      node = node[idx] as Record<string, unknown> | unknown[]
    } else {
      // Own properties only: an unknown field may be called `__proto__`.
      const existing = getOwn(node, seg)
      if (last) {
        if (existing === undefined) setOwn(node, seg, msg)
        return
      }
      if (typeof existing !== 'object' || existing === null) setOwn(node, seg, nextIsIndex ? [] : {})
      node = getOwn(node, seg) as Record<string, unknown> | unknown[]
    }
  }
}

function messageFor(e: ErrorObject): { path: string[]; msg: string } {
  const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  const parent = e.parentSchema as SchemaObject | undefined
  switch (e.keyword) {
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty
      const msg = parent?.['x-foreign'] ? MSG.PRIMARY_KEY_MISSING : MSG.REQUIRED
      return { path: [...path, missing], msg }
    }
    case 'additionalProperties':
      return {
        path: [...path, (e.params as { additionalProperty: string }).additionalProperty],
        msg: MSG.UNKNOWN,
      }
    case 'type': {
      if (e.data === null) return { path, msg: MSG.REQUIRED }
      const t = parent?.['x-type'] as Field['type'] | undefined
      return { path, msg: t ? MSG.TYPE[t] : 'invalid value' }
    }
    case 'minimum':
    case 'maximum':
      return { path, msg: MSG.between(parent?.['minimum'] as number, parent?.['maximum'] as number) }
    case 'minLength':
    case 'minItems':
      return { path, msg: MSG.lenMin((e.params as { limit: number }).limit) }
    default:
      return { path, msg: e.message ?? 'invalid value' }
  }
}

function keywordRank(e: ErrorObject): number {
  if (e.keyword === 'type') return 0
  if (e.keyword === 'minLength' || e.keyword === 'minItems') return 1
  return 2
}

/** Field errors of a whole entity, before entity checks; empty when valid. */
function fieldErrors(def: EntityDefinition, entity: Entity): FieldErrors {
  const errors = errorsOf(validatorFor(def), entity)
  checkKeylessForeign(def, entity, errors)
  mapErrorsAsKong(def, entity, errors)
  return errors
}

/**
 * Kong reports a map's errors on the map itself: a key or value of the wrong type as one
 * message (`headers: "expected an array"`), errors inside a value's array by position
 * (`headers: ["expected a string"]`); a JSON array given for a map has number keys, so
 * "expected a string".
 */
function mapErrorsAsKong(def: EntityDefinition, entity: Entity, errors: FieldErrors): void {
  for (const [name, field] of Object.entries(def.fields)) {
    if (field.type !== 'map') continue
    const value = entity[name]
    if (Array.isArray(value) && value.length > 0) {
      errors[name] = MSG.TYPE.string
      continue
    }
    const err = errors[name]
    if (err === undefined || typeof err === 'string' || Array.isArray(err)) continue
    const first = Object.values(err)[0]
    if (first !== undefined) errors[name] = first
  }
}

const isMissingKey = (err: FieldError | undefined) =>
  typeof err === 'object' &&
  err !== null &&
  !Array.isArray(err) &&
  Object.keys(err).length === 1 &&
  err['id'] === MSG.PRIMARY_KEY_MISSING

/**
 * A foreign reference without its primary key is checked against the referenced entity's
 * fields, as Kong does: `service={"protocol":"foo"}` reports `service.protocol`, and
 * "missing primary key" is left only when those fields are valid.
 */
function checkKeylessForeign(def: EntityDefinition, entity: Entity, errors: FieldErrors): void {
  for (const [name, field] of Object.entries(def.fields)) {
    if (field.type !== 'foreign' || !isMissingKey(errors[name])) continue
    const referenced: EntityDefinition | undefined = (ENTITIES as Record<string, EntityDefinition>)[field.reference]
    if (!referenced) continue
    const own = errorsOf(partialValidatorFor(referenced), entity[name])
    if (Object.keys(own).length > 0) errors[name] = own
  }
}

/** Runs a compiled validator and maps its errors onto Kong's field-error tree. */
function errorsOf(validate: Validator, value: unknown): FieldErrors {
  const errors: FieldErrors = {}
  if (validate(value)) return errors
  // Kong checks a value in this order and reports the first failure: type, then length,
  // then everything else (one_of, patterns, custom checks). setError keeps the first message.
  const list = [...(validate.errors ?? [])].sort((a, b) => keywordRank(a) - keywordRank(b))
  for (const e of list) {
    const { path, msg } = messageFor(e)
    setError(errors, path, msg)
  }
  return errors
}

const isNull = (v: unknown) => v === null || v === undefined

/** Runs Kong's entity checks on top of field errors (conditional, distinct, custom). */
function entityErrors(def: EntityDefinition, entity: Entity, errors: FieldErrors, ctx: CheckContext): void {
  const entityMsgs: string[] = []
  const hadFieldErrors = Object.keys(errors).length > 0
  for (const check of def.entity_checks ?? []) {
    if ('conditional' in check) {
      const c = check.conditional
      const value = entity[c.if_field]
      if (errors[c.if_field] !== undefined || typeof value !== 'string') continue
      if (!c.if_match.includes(value)) continue
      const then = entity[c.then_field]
      let msg: string | undefined
      if ('required' in c.then_match) msg = isNull(then) ? MSG.REQUIRED : undefined
      else if ('is_null' in c.then_match) msg = isNull(then) ? undefined : MSG.MUST_BE_NULL
      else {
        const allowed = c.then_match.one_of
        msg = typeof then === 'string' && allowed.includes(then) ? undefined : MSG.oneOf(allowed)
      }
      if (msg !== undefined) {
        // Kong overwrites the dependent field's own error with the conditional's.
        errors[c.then_field] = msg
        entityMsgs.push(MSG.conditional(c.if_field))
      }
    } else if ('at_least_one_of' in check) {
      const names = check.at_least_one_of
      if (names.every((n) => isNull(entity[n]))) entityMsgs.push(MSG.atLeastOneOf(names, ctx.op === 'update'))
    } else if ('distinct' in check) {
      const [a, b] = check.distinct
      if (errors[a] !== undefined || errors[b] !== undefined) continue
      if (!isNull(entity[a]) && entity[a] === entity[b]) entityMsgs.push(MSG.distinct(a, b))
    } else if ('mutually_required' in check) {
      const names = check.mutually_required
      if (names.some((n) => errors[n] !== undefined)) continue
      const set = names.filter((n) => !isNull(entity[n])).length
      if (set !== 0 && set !== names.length) entityMsgs.push(MSG.mutuallyRequired(names))
    } else if (!hadFieldErrors) {
      const result = check.custom(entity, ctx)
      if (result?.entity) entityMsgs.push(...result.entity)
      if (result?.fields) Object.assign(errors, result.fields)
    }
  }
  if (entityMsgs.length > 0) errors['@entity'] = entityMsgs
}

/** Validates a full entity; returns Kong's field-error tree or undefined when valid. */
export function validateEntity(
  def: EntityDefinition,
  entity: Entity,
  ctx: CheckContext = { now: Date.now() }
): FieldErrors | undefined {
  const errors = fieldErrors(def, entity)
  entityErrors(def, entity, errors, ctx)
  return Object.keys(errors).length > 0 ? errors : undefined
}
