// The data plane's last applied configuration on disk, so it can boot and serve while the
// control plane is unreachable. Written atomically (temp file + rename).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ENTITY_KINDS, type Snapshot } from './types.js'

export function writeCacheFile(path: string, snapshot: Snapshot): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  // Owner-only: the snapshot holds the certificates' private keys.
  writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 })
  renameSync(tmp, path)
}

/** The cached snapshot, or undefined when missing or unreadable. */
export function readCacheFile(path: string): Snapshot | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
    if (typeof value.version !== 'number') return undefined
    if (typeof value.entities !== 'object' || value.entities === null) return undefined
    for (const kind of ENTITY_KINDS) {
      const list = value.entities[kind] as unknown
      // A file written before a kind existed simply has none of it.
      if (list === undefined) value.entities[kind] = []
      else if (!Array.isArray(list)) return undefined
    }
    return value
  } catch {
    return undefined
  }
}
