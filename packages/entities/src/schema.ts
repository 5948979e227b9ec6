// Entity definitions are data: one `Field` tree per entity, read by the validator, the form
// decoder, the default filler and the DAO. Mirrors the shape of Kong's schema DSL
// (kong/db/schema/typedefs.lua) closely enough that each Kong field maps one-to-one.

/** A check for one value; returns Kong's message when the value is invalid. */
export type Check<T> = (value: T) => string | undefined

interface FieldBase {
  /** "required field missing" when absent or null (after defaults were applied). */
  required?: boolean
  /** Default written once, here; deep-copied on use. */
  default?: unknown
  /** Set by the server (ids, timestamps); accepted from input but never required. */
  auto?: 'uuid' | 'timestamp' | 'timestamp_ms' | 'random'
  /** Accepted and validated but not stored in the entity's row (a certificate's `snis`). */
  transient?: boolean
  /**
   * Kong's `eq = null` with its own `err` (a subschema's no_methods, no_sources, …): any value
   * other than null or an empty table is refused with this message, whatever its type.
   */
  forbidden?: string
  description?: string
}

export interface StringField extends FieldBase {
  type: 'string'
  /** Kong's strings default to len_min = 1. */
  len_min?: number
  one_of?: readonly string[]
  /** Extension values accepted besides `one_of`, left out of Kong's "expected one of" message. */
  one_of_extensions?: readonly string[]
  uuid?: boolean
  check?: Check<string>
}

export interface NumberField extends FieldBase {
  type: 'integer' | 'number'
  between?: readonly [number, number]
  one_of?: readonly number[]
}

export interface BooleanField extends FieldBase {
  type: 'boolean'
}

export interface ArrayField extends FieldBase {
  type: 'array' | 'set'
  elements: Field
  len_min?: number
  /** A check of the whole collection (Kong's mutually_exclusive_subsets). */
  check?: Check<readonly unknown[]>
}

export interface MapField extends FieldBase {
  type: 'map'
  keys: StringField
  values: Field
}

export interface RecordField extends FieldBase {
  type: 'record'
  fields: Fields
}

export interface ForeignField extends FieldBase {
  type: 'foreign'
  /** Name of the referenced collection, e.g. "services". */
  reference: string
  /** Delete behaviour of the parent: cascade deletes children, restrict refuses. */
  on_delete?: 'cascade' | 'restrict'
}

export type Field =
  | StringField
  | NumberField
  | BooleanField
  | ArrayField
  | MapField
  | RecordField
  | ForeignField

/** Ordered field map: key order is the output order of the entity, as in Kong's schemas. */
export type Fields = Readonly<Record<string, Field>>

/** Entity-level checks, written as data like Kong's `entity_checks`. */
export type EntityCheck =
  | {
      conditional: {
        if_field: string
        /** Values of `if_field` that trigger the check. */
        if_match: readonly string[]
        then_field: string
        then_match: { required: true } | { one_of: readonly string[] } | { is_null: true }
      }
    }
  | { distinct: readonly [string, string] }
  /** At least one of the fields is non-null; runs even when fields have errors, as in Kong. */
  | { at_least_one_of: readonly string[] }
  /** All of these fields set, or none of them. */
  | { mutually_required: readonly string[] }
  | { custom: (entity: Entity, ctx: CheckContext) => EntityCheckResult | undefined }

/** What a custom entity check may read besides the entity: the write's clock (ms). */
export interface CheckContext {
  now: number
  /** The write being validated; `update` words some messages as Kong does for PATCH. */
  op?: WriteOp
}

/** What a custom entity check reports: entity-level messages and/or field messages. */
export interface EntityCheckResult {
  entity?: string[]
  fields?: Record<string, string>
}

export type Entity = Record<string, unknown>

export interface EntityDefinition {
  /** Collection name as in the URL and Kong's DAO ("upstreams"). */
  name: string
  /** Primary key field (always "id" here). */
  primary_key: 'id'
  /** Alternate key usable in URLs instead of the id ("name", "target"). */
  endpoint_key?: string
  /** Fields that must be unique (besides the primary key); composite keys as arrays. */
  unique?: readonly (string | readonly string[])[]
  fields: Fields
  entity_checks?: readonly EntityCheck[]
  /** The collection's name in Admin API paths when it differs from `name` ("key-auths"). */
  admin_api_name?: string
  /**
   * Rows may expire (Kong's `ttl = true`): the stored `ttl` field holds the expiry in epoch
   * seconds; the Admin API takes and shows the remaining seconds, and expired rows are not read.
   */
  ttl?: boolean
  /**
   * Rewrites input before defaults and validation: shorthands (service `url`), couplings
   * (upstream `hash_on` ↔ `algorithm`) and defaults that depend on other fields (grpc routes).
   * Returns field errors for a shorthand it could not parse.
   */
  prepare?: (input: Entity, op: WriteOp) => EntityCheckResult | undefined
  /**
   * The definition that really applies to this entity, when it depends on a field (a plugin's
   * `config` depends on its `name`). Used for decoding, defaults and validation; storage uses
   * the base definition.
   */
  variant?: (entity: Entity) => EntityDefinition
}

export type WriteOp = 'insert' | 'update' | 'upsert'
