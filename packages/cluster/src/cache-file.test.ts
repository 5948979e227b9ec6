// The data plane's cache file: owner-only (it holds certificates' private keys), written
// atomically, and readable when written before a kind existed (missing kinds are empty).

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { readCacheFile, writeCacheFile } from './cache-file.js'
import { emptyEntities } from './types.js'

test('written owner-only, read back, older files without the newer kinds still load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cache-file-'))
  try {
    const file = join(dir, 'sub', 'config.json')
    const snapshot = { version: 7, entities: { ...emptyEntities(), certificates: [{ id: 'c', key: 'k' }] } }
    writeCacheFile(file, snapshot)
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
