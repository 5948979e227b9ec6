// Kong's validation messages (kong/db/schema/init.lua `validation_errors`), one table so the
// exact strings clients match on live in one place.

export const MSG = {
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  PRIMARY_KEY_MISSING: 'missing primary key',
  UUID: 'expected a valid UUID',
  MUST_BE_NULL: 'value must be null',
  SHOULD_START_WITH_SLASH: 'should start with: /',
  /** Ours: Postgres text and jsonb cannot hold U+0000 (Kong fails with a database error). */
  NUL_CHARACTER: 'must not contain NUL characters',
  TYPE: {
    string: 'expected a string',
    integer: 'expected an integer',
    number: 'expected a number',
    boolean: 'expected a boolean',
    array: 'expected an array',
    set: 'expected a set',
    map: 'expected a map',
    record: 'expected a record',
    foreign: 'expected a record',
  },
  between: (a: number, b: number) => `value should be between ${a} and ${b}`,
  lenMin: (n: number) => `length must be at least ${n}`,
  oneOf: (values: readonly (string | number)[]) => `expected one of: ${values.join(', ')}`,
  invalidValue: (v: string) => `invalid value: ${v}`,
  conditional: (field: string) => `failed conditional validation given value of field '${field}'`,
  atLeastOneOf: (fields: readonly string[], updating: boolean) =>
    `${updating ? 'when updating, ' : ''}at least one of these fields must be non-empty: ${fields.map((f) => `'${f}'`).join(', ')}`,
  mutuallyRequired: (names: readonly string[]) =>
    `all or none of these fields must be set: ${names.map((n) => `'${n}'`).join(', ')}`,
  distinct: (a: string, b: string) => `values of these fields must be distinct: '${a}', '${b}'`,
  invalidTag: (t: string) =>
    `invalid tag '${t}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`,
} as const
