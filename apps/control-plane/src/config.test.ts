import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pgConfiguration, shownConfiguration } from './config.js'

test('GET / configuration: listeners in Kong form, pg_* from the database URL, no password', () => {
  const shown = shownConfiguration(
    {
      KONG_ADMIN_LISTEN: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl',
      DATABASE_URL: 'postgres://kong:s3cret@db.internal:6432/kong?sslmode=require',
    },
    '0.0.0.0:8000'
  )
  assert.deepEqual(shown['admin_listen'], ['127.0.0.1:8001 reuseport backlog=16384', '127.0.0.1:8444 http2 ssl'])
  const admins = shown['admin_listeners'] as Record<string, unknown>[]
  assert.deepEqual(admins.map((l) => [l['port'], l['ssl'], l['http2'], l['listener']]), [
    [8001, false, false, '127.0.0.1:8001 reuseport backlog=16384'],
    [8444, true, true, '127.0.0.1:8444 ssl'],
  ])
  assert.deepEqual((shown['proxy_listeners'] as Record<string, unknown>[]).map((l) => l['listener']), ['0.0.0.0:8000'])
  assert.deepEqual([shown['admin_gui_listen'], shown['admin_gui_listeners']], [[], []])
  assert.deepEqual(
    [shown['pg_host'], shown['pg_port'], shown['pg_user'], shown['pg_database'], shown['pg_ssl']],
    ['db.internal', 6432, 'kong', 'kong', true]
  )
  assert.equal(JSON.stringify(shown).includes('s3cret'), false)
})

test('KONG_PG_* parts, PGlite, a control plane alone', () => {
  const parts = shownConfiguration({ KONG_PG_HOST: '10.0.0.5', KONG_PG_USER: 'u', KONG_PG_PASSWORD: 'p' }, 'off')
  assert.deepEqual([parts['pg_host'], parts['pg_port'], parts['pg_user'], parts['pg_ssl']], ['10.0.0.5', 5432, 'u', false])
  assert.deepEqual([parts['proxy_listen'], parts['proxy_listeners']], [[], []])
  assert.deepEqual(pgConfiguration(undefined), { pg_host: null, pg_port: null, pg_user: null, pg_database: null, pg_ssl: false })
  assert.equal(pgConfiguration('postgres://x@127.0.0.1/db?ssl=true')['pg_ssl'], true)
})
