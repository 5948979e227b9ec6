// The error catalog: Kong's message formats for schema violations (one vs many, entity
// messages first, fields sorted, nested and positional errors) and the status table.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  foreignKeyUnresolved,
  invalidOptions,
  notFoundByKey,
  schemaViolation,
  statusOf,
  uniqueViolation,
  type FieldErrors,
} from './errors.js'

test('schemaViolation renders Kong messages', () => {
  const cases: [FieldErrors, string][] = [
    [{ name: 'required field missing' }, 'schema violation (name: required field missing)'],
    [
      { path: 'should start with: /', host: 'required field missing' },
      '2 schema violations (host: required field missing; path: should start with: /)',
    ],
    [
      { '@entity': ['must set one of x'], a: 'bad' },
      '2 schema violations (must set one of x; a: bad)',
    ],
    [{ protocols: [null, 'expected one of: http'] }, 'schema violation (protocols.2: expected one of: http)'],
    [{ service: { id: 'missing primary key' } }, 'schema violation (service.id: missing primary key)'],
    [
      { healthchecks: { active: { timeout: 'too big' } } },
      'schema violation (healthchecks.active: {timeout="too big"})',
    ],
  ]
  for (const [fields, message] of cases) {
    assert.deepEqual(schemaViolation(fields), { code: 2, name: 'schema violation', message, fields })
  }
})

test('DAO error bodies and their statuses', () => {
  const cases: [ReturnType<typeof uniqueViolation>, number, string][] = [
    [uniqueViolation({ name: 'u' }), 409, 'UNIQUE violation detected on \'{name="u"}\''],
    [uniqueViolation({ upstream: { id: 'i' }, target: 't:1' }), 409, 'UNIQUE violation detected on \'{target="t:1",upstream={id="i"}}\''],
    [notFoundByKey({ name: 'n' }, false), 404, 'could not find the entity with \'{name="n"}\''],
    [notFoundByKey({ id: 'i' }, true), 404, 'could not find the entity with primary key \'{id="i"}\''],
    [invalidOptions('tags', 'cannot be null'), 400, 'invalid option (tags: cannot be null)'],
    [
      foreignKeyUnresolved('service', { name: 'x' }, 'services'),
      400,
      'foreign key unresolved (service.name: the foreign key cannot be resolved with \'{name="x"}\' for an existing \'services\' entity)',
    ],
    [{ code: 8, name: 'database error', message: 'boom' }, 500, 'boom'],
  ]
  for (const [err, status, message] of cases) {
    assert.equal(statusOf(err), status, message)
    assert.equal(err.message, message)
  }
})
