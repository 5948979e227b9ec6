// Postgres errors (as node-postgres or PGlite raise them, possibly wrapped by drizzle) mapped
// onto Kong's DAO errors: unique (5), primary key (3), foreign key on write (4) and on delete
// (4, @referenced_by), anything else a database error (8, a 500).

import { routes, services, targets, upstreams, type EntityDefinition } from '@switchyard/entities'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DaoError, mapWriteError } from './dao-error.js'

const U = '6f0ef4b5-1c5a-4a8e-9b7e-0d1c2b3a4f5e'
const S = '0b7f3a52-9d1e-4c1b-8a4f-2e3d4c5b6a79'

const pg = (code: string, constraint?: string, message = 'pg says no') =>
  Object.assign(new Error(message), { code, ...(constraint ? { constraint } : {}) })
const wrapped = (cause: Error) => Object.assign(new Error('Failed query'), { cause })

test('mapWriteError translates Postgres errors into Kong errors', () => {
  const cases: {
    name: string
    err: unknown
    def: EntityDefinition
    entity: Record<string, unknown>
    op: 'write' | 'delete'
    expected: unknown
  }[] = [
    {
      name: 'unique name',
      err: pg('23505', 'upstreams_name_key'),
      def: upstreams,
      entity: { id: U, name: 'u.test' },
      op: 'write',
      expected: {
        code: 5,
        name: 'unique constraint violation',
        message: 'UNIQUE violation detected on \'{name="u.test"}\'',
        fields: { name: 'u.test' },
      },
    },
    {
      name: 'unique composite, wrapped by drizzle',
      err: wrapped(pg('23505', 'targets_upstream_id_target_key')),
      def: targets,
      entity: { id: S, upstream: { id: U }, target: 'a:80' },
      op: 'write',
      expected: {
        code: 5,
        name: 'unique constraint violation',
        message: `UNIQUE violation detected on '{target="a:80",upstream={id="${U}"}}'`,
        fields: { upstream: { id: U }, target: 'a:80' },
      },
    },
    {
      name: 'primary key',
      err: pg('23505', 'upstreams_pkey'),
      def: upstreams,
      entity: { id: U },
      op: 'write',
      expected: {
        code: 3,
        name: 'primary key violation',
        message: `primary key violation on key '{id="${U}"}'`,
        fields: { id: U },
      },
    },
    {
      name: 'foreign key on write',
      err: pg('23503', 'routes_service_id_services_id_fk'),
      def: routes,
      entity: { id: U, service: { id: S } },
      op: 'write',
      expected: {
        code: 4,
        name: 'foreign key violation',
        message: `the foreign key '{id="${S}"}' does not reference an existing 'services' entity.`,
        fields: { service: { id: S } },
      },
    },
    {
      name: 'foreign key on delete of the referenced service',
      err: pg('23503', 'routes_service_id_services_id_fk'),
      def: services,
      entity: { id: S },
      op: 'delete',
      expected: {
        code: 4,
        name: 'foreign key violation',
        message: "an existing 'routes' entity references this 'services' entity",
        fields: { '@referenced_by': 'routes' },
      },
    },
    {
      name: 'anything else',
      err: pg('57014', undefined, 'canceling statement'),
      def: upstreams,
      entity: { id: U },
      op: 'write',
      expected: { code: 8, name: 'database error', message: 'canceling statement' },
    },
  ]
  for (const c of cases) {
    const mapped = mapWriteError(c.err, c.def, c.entity, c.op)
    assert.ok(mapped instanceof DaoError, c.name)
    assert.deepEqual(mapped.kong, c.expected, c.name)
  }
})

test('mapWriteError passes a DaoError through unchanged', () => {
  const original = new DaoError({ code: 6, name: 'not found', message: 'gone' })
  assert.equal(mapWriteError(original, upstreams, {}, 'write'), original)
})
