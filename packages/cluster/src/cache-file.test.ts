// The data plane's cache file: owner-only (it holds certificates' private keys), written
// atomically, and readable when written before a kind existed (missing kinds are empty).

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { readFileSync } from 'node:fs'
import { readCacheFile, writeCacheFile } from './cache-file.js'
import { emptyEntities } from './types.js'

test('written owner-only, read back, older files without the newer kinds still load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-file-'))
  try {
    const file = join(dir, 'sub', 'config.json')
    const snapshot = { version: 7, entities: { ...emptyEntities(), certificates: [{ id: 'c', key: 'k' }] } }
    await writeCacheFile(file, snapshot)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.deepEqual(readCacheFile(file), snapshot)

    const old = join(dir, 'old.json')
    writeFileSync(old, JSON.stringify({ version: 3, entities: { upstreams: [], targets: [], services: [], routes: [], plugins: [] } }))
    assert.deepEqual(readCacheFile(old), { version: 3, entities: emptyEntities() })

    writeFileSync(old, JSON.stringify({ version: 3, entities: { ...emptyEntities(), snis: {} } }))
    assert.equal(readCacheFile(old), undefined, 'a kind that is not a list is unreadable')
    writeFileSync(old, '{"version":3}')
    assert.equal(readCacheFile(old), undefined)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('written in slices: exactly JSON.stringify of the snapshot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-file-'))
  try {
    const targets = Array.from({ length: 1234 }, (_, i) => ({ id: `t${i}`, target: `10.0.${i >> 8}.${i & 255}:80`, weight: i, tags: ['a"b', 'ü'] }))
    for (const snapshot of [
      { epoch: 'e1', version: 9, entities: { ...emptyEntities(), targets, upstreams: [{ id: 'u', name: 'x' }] } },
      { version: 0, entities: emptyEntities() },
    ]) {
      const sliced = join(dir, 'deep', 'sliced.json')
      await writeCacheFile(sliced, snapshot)
      assert.equal(readFileSync(sliced, 'utf8'), JSON.stringify(snapshot))
      assert.equal(statSync(sliced).mode & 0o777, 0o600)
      assert.deepEqual(readCacheFile(sliced), snapshot)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
