// Kong's list parameters: `size` (default 100, at most 1000), the opaque `offset` (base64
// without padding of the JSON array holding the last id), and the `tags` filter (`,` = AND,
// `/` = OR, at most 5). Also builds the `next` link.

import {
  invalidOffset,
  invalidOptions,
  invalidSize,
  isUuid,
  type KongError,
} from '@switchyard/entities'

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000
const MAX_TAGS = 5

export function encodeOffset(id: string): string {
  return Buffer.from(JSON.stringify([id])).toString('base64').replace(/=+$/, '')
}

export function decodeOffset(offset: string): { ok: true; id: string } | { ok: false; error: KongError } {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(offset) || offset.replace(/=+$/, '').length % 4 === 1) {
    return { ok: false, error: invalidOffset(offset, 'bad base64 encoding') }
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.from(offset, 'base64').toString('utf8'))
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && isUuid(parsed[0])) {
      return { ok: true, id: parsed[0] }
    }
  } catch {
    // fall through: not JSON
  }
  return { ok: false, error: invalidOffset(offset, 'bad json encoding') }
}

export function parseSize(raw: string | undefined): { ok: true; size: number } | { ok: false; error: KongError } {
  if (raw === undefined) return { ok: true, size: DEFAULT_PAGE_SIZE }
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw)) {
    return { ok: false, error: invalidSize('size must be a number') }
  }
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    return { ok: false, error: invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`) }
  }
  return { ok: true, size: n }
}

export type TagQuery = { mode: 'and' | 'or'; tags: string[] }

export function parseTags(raw: string | undefined): { ok: true; tags?: TagQuery } | { ok: false; error: KongError } {
  if (raw === undefined) return { ok: true }
  if (raw === '') return { ok: false, error: invalidOptions('tags', 'cannot be null') }
  const hasAnd = raw.includes(',')
  const hasOr = raw.includes('/')
  // Control characters and mixed operators are not a valid filter.
  if ((hasAnd && hasOr) || /[\x00-\x1f\x7f]/.test(raw)) {
    return { ok: false, error: invalidOptions('tags', 'invalid filter syntax') }
  }
  const tags = raw.split(hasOr ? '/' : ',')
  if (tags.some((t) => t === '')) return { ok: false, error: invalidOptions('tags', 'invalid filter syntax') }
  if (tags.length > MAX_TAGS) {
    return { ok: false, error: invalidOptions('tags', `cannot query more than ${MAX_TAGS} tags`) }
  }
  return { ok: true, tags: { mode: hasOr ? 'or' : 'and', tags } }
}

/** `next` link of a top-level collection: offset, then tags, then size as given. */
export function nextLink(
  basePath: string,
  offset: string,
  extra: { tags?: string | undefined; size?: string | undefined } = {}
): string {
  let link = `${basePath}?offset=${encodeURIComponent(offset)}`
  if (extra.tags !== undefined) link += `&tags=${encodeURIComponent(extra.tags)}`
  if (extra.size !== undefined) link += `&size=${encodeURIComponent(extra.size)}`
  return link
}
