// The rate-limiting plugin entity through the write pipeline: Kong's defaults (reference
// §3.5), legacy redis_* shorthands, and Kong's error trees for the field bounds, the
// period order, the conditional requirements and sync_rate.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { plugins } from '../plugins.js'
import type { Entity } from '../schema.js'
import { prepareCreate } from '../write.js'

const ctx = { now: 1_719_835_260_000, newId: () => '3f0b0000-0000-4000-8000-000000000001' }
const create = (config: Entity) => prepareCreate(plugins, { name: 'rate-limiting', config }, ctx)

function fieldsOf(config: Entity): unknown {
  const r = create(config)
  assert.equal(r.ok, false, 'expected a schema violation')
  return r.ok ? undefined : r.error.fields
}

describe('rate-limiting plugin entity', () => {
  test('defaults as Kong fills them', () => {
    const r = create({ minute: 5 })
    assert.ok(r.ok)
    assert.deepEqual(r.entity['protocols'], ['grpc', 'grpcs', 'http', 'https'])
    assert.equal(r.entity['enabled'], true)
    const c = r.entity['config'] as Entity
    assert.deepEqual(
      { ...c },
      {
        second: null, minute: 5, hour: null, day: null, month: null, year: null,
        limit_by: 'consumer', header_name: null, path: null, policy: 'local',
        fault_tolerant: true, hide_client_headers: false,
        error_code: 429, error_message: 'API rate limit exceeded', sync_rate: -1,
        redis: { host: null, port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null },
      }
    )
  })

  test('legacy redis_* fields land in redis.*', () => {
    const r = create({ minute: 5, policy: 'redis', redis_host: '127.0.0.1', redis_port: 6380, redis_database: 2 })
    assert.ok(r.ok)
    const c = r.entity['config'] as Entity
    assert.equal('redis_host' in c, false)
    assert.deepEqual([(c['redis'] as Entity)['host'], (c['redis'] as Entity)['port'], (c['redis'] as Entity)['database']], ['127.0.0.1', 6380, 2])
  })

  test('a valid redis config passes', () => {
    const r = create({ minute: 5, hour: 100, policy: 'redis', redis: { host: 'redis.internal', timeout: 500 }, sync_rate: 0.5 })
    assert.ok(r.ok, r.ok ? '' : r.error.message)
  })

  const errors: { name: string; config: Entity; fields: unknown; message?: string }[] = [
    {
      name: 'a zero limit: Kong’s gt = 0 wording',
      config: { minute: 0 },
      fields: { config: { minute: 'value must be greater than 0' } },
      message: 'schema violation (config.minute: value must be greater than 0)',
    },
    {
      name: 'negative limits and error_code',
      config: { second: -1, hour: 5, error_code: 0 },
      fields: { config: { second: 'value must be greater than 0', error_code: 'value must be greater than 0' } },
    },
    {
      name: 'no period at all',
      config: {},
      fields: {
        '@entity': [
          "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
        ],
      },
    },
    {
      name: 'a longer period with a lower limit',
      config: { second: 20, hour: 10 },
      fields: { config: 'The limit for hour(10.0) cannot be lower than the limit for second(20.0)' },
    },
    {
      name: 'fractional limits print with one decimal, as %.1f',
      config: { minute: 5.27, day: 5.04 },
      fields: { config: 'The limit for day(5.0) cannot be lower than the limit for minute(5.3)' },
    },
    {
      name: 'limit_by header needs header_name',
      config: { minute: 5, limit_by: 'header' },
      fields: {
        config: { header_name: 'required field missing' },
        '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
      },
    },
    {
      name: 'limit_by path needs path',
      config: { minute: 5, limit_by: 'path' },
      fields: {
        config: { path: 'required field missing' },
        '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
      },
    },
    {
      name: 'policy redis needs redis.host',
      config: { minute: 5, policy: 'redis' },
      fields: {
        config: { redis: { host: 'required field missing' } },
        '@entity': ["failed conditional validation given value of field 'config.policy'"],
      },
    },
    {
      name: 'sync_rate only with redis',
      config: { minute: 5, sync_rate: 1 },
      fields: { config: { sync_rate: 'sync_rate can only be used with the redis policy' } },
    },
    {
      name: 'sync_rate floor',
      config: { minute: 5, policy: 'redis', redis: { host: 'h' }, sync_rate: 0.01 },
      fields: { config: { sync_rate: 'sync_rate must be greater than 0.02, or -1 to disable' } },
    },
    {
      name: 'unknown limit_by',
      config: { minute: 5, limit_by: 'user' },
      fields: { config: { limit_by: 'expected one of: consumer, credential, ip, service, header, path' } },
    },
    {
      name: 'legacy and new field disagree',
      config: { minute: 5, redis: { port: 6379 }, redis_port: 6380 },
      fields: {
        config: 'both deprecated and new field are used but their values mismatch: config.redis_port = 6380 vs config.redis.port = 6379',
      },
    },
  ]
  for (const c of errors) {
    test(c.name, () => {
      assert.deepEqual(fieldsOf(c.config), c.fields)
      if (c.message) {
        const r = create(c.config)
        assert.equal(r.ok ? '' : r.error.message, c.message)
      }
    })
  }
})
