// The data plane's last applied configuration on disk, so it can boot and serve while the
// control plane is unreachable. Written atomically (temp file + rename).

import { readFileSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ENTITY_KINDS, type Snapshot } from './types.js'

/** Entities serialised per turn of the event loop by writeCacheFile. */
const SLICE = 250

/**
 * Writes `JSON.stringify(snapshot)` without holding the event loop: a 10,000-target snapshot is
 * several MB of JSON, and serialising and writing it in one go stalled proxying (and streams)
 * for tens of milliseconds after every config change. The entities are serialised a slice per
 * turn and the file written asynchronously. Owner-only: the snapshot holds the certificates'
 * private keys. The snapshot's entity objects must not change while this runs (the data plane
 * replaces entities, never edits them).
 */
export async function writeCacheFile(path: string, snapshot: Snapshot): Promise<void> {
  const kinds: string[] = []
  for (const kind of ENTITY_KINDS) {
    const list = snapshot.entities[kind] ?? []
    const slices: string[] = []
    for (let i = 0; i < list.length; i += SLICE) {
      slices.push(list.slice(i, i + SLICE).map((e) => JSON.stringify(e)).join(','))
      await nextTurn()
    }
    kinds.push(`${JSON.stringify(kind)}:[${slices.join(',')}]`)
  }
  const epoch = snapshot.epoch !== undefined ? `"epoch":${JSON.stringify(snapshot.epoch)},` : ''
  const text = `{${epoch}"version":${JSON.stringify(snapshot.version)},"entities":{${kinds.join(',')}}}`
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode: 0o600 })
  await rename(tmp, path)
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
