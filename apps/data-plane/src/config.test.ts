// The data-plane entry point refuses to start in any role but data_plane, with one clear line.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spawnNode } from '@switchyard/test-kit'
import { loadDataPlaneConfig } from './config.js'

const BASE = { KONG_CLUSTER_CONTROL_PLANE: '127.0.0.1:8005', SWITCHYARD_CLUSTER_TOKEN: 't', SWITCHYARD_CLUSTER_PLAIN_HTTP: 'on' }

test('KONG_ROLE must be data_plane', () => {
  assert.equal(loadDataPlaneConfig({ ...BASE, KONG_ROLE: 'data_plane' }).controlPlane, '127.0.0.1:8005')
  for (const role of [undefined, '', 'control_plane', 'traditional', 'DATA_PLANE', 'data_plane ']) {
    const env = role === undefined ? { ...BASE } : { ...BASE, KONG_ROLE: role }
    assert.throws(() => loadDataPlaneConfig(env), /KONG_ROLE must be data_plane/, String(role))
  }
})

test('the entry point started with another role exits 1 with the reason, before listening', { timeout: 30_000 }, async () => {
  const proc = spawnNode('dp-wrong-role', 'apps/data-plane/src/main.ts', {
    ...BASE,
    KONG_ROLE: 'control_plane',
    KONG_PROXY_LISTEN: '127.0.0.1:1',
    KONG_STATUS_LISTEN: 'off',
  })
  const exit = await proc.exited
  assert.equal(exit.code, 1, proc.output())
  const line = proc.lines.find((l) => typeof l.msg === 'string' && l.msg.includes('KONG_ROLE must be data_plane'))
  assert.ok(line, proc.output())
  assert.equal(line['level'], 60)
})

test('the cluster link is TLS unless plain HTTP is asked for', () => {
  const { SWITCHYARD_CLUSTER_PLAIN_HTTP: _plain, ...noTls } = BASE
  assert.throws(() => loadDataPlaneConfig({ ...noTls, KONG_ROLE: 'data_plane' }), /KONG_CLUSTER_CERT and KONG_CLUSTER_CERT_KEY are required/)
  assert.throws(
    () => loadDataPlaneConfig({ ...noTls, KONG_ROLE: 'data_plane', KONG_CLUSTER_CERT: '/nonexistent.crt' }),
    /must be set together/
  )
  assert.throws(
    () => loadDataPlaneConfig({ ...noTls, KONG_ROLE: 'data_plane', KONG_CLUSTER_CERT: '/nonexistent.crt', KONG_CLUSTER_CERT_KEY: '/nonexistent.key' }),
    /KONG_CLUSTER_CERT: cannot read \/nonexistent.crt: ENOENT/
  )
  assert.equal(loadDataPlaneConfig({ ...BASE, KONG_ROLE: 'data_plane' }).clusterTls, undefined)
})
