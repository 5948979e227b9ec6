// The data plane's last applied configuration on disk, so it can boot and serve while the
// control plane is unreachable. Written atomically (temp file + rename).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ENTITY_KINDS, type Snapshot } from './types.js'

export function writeCacheFile(path: string, snapshot: Snapshot): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(snapshot))
  renameSync(tmp, path)
}

/** The cached snapshot, or undefined when missing or unreadable. */
export function readCacheFile(path: string): Snapshot | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
    if (typeof value.version !== 'number') return undefined
    for (const kind of ENTITY_KINDS) if (!Array.isArray(value.entities?.[kind])) return undefined
    return value
  } catch {
    return undefined
  }
}
