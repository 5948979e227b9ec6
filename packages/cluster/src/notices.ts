// Messages on the Redis channel. They are only doorbells: "version V was committed" and the
// once-a-second heartbeat. A data plane never takes configuration from Redis; it fetches the
// events from the control plane's authenticated endpoint, so a forged or malformed message
// can at most cause one extra fetch.

export const CONFIG_CHANNEL = 'switchyard:config'
export const HEALTH_CHANNEL = 'switchyard:health'

export interface Notice {
  type: 'commit' | 'heartbeat'
  version: number
  /** The sender's cluster epoch; a follower in another epoch checks with the control plane. */
  epoch?: string
}

/** An epoch as the control plane sends it: a UUID. Anything else in a notice is dropped. */
const EPOCH_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_RE.test(value)
}

/** Parses a channel message; undefined for anything that is not a well-formed notice. */
export function parseNotice(text: string): Notice | undefined {
  if (text.length > 256) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { type, version, epoch } = value as Record<string, unknown>
  if (type !== 'commit' && type !== 'heartbeat') return undefined
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return undefined
  if (epoch !== undefined && !isEpoch(epoch)) return undefined
  return epoch === undefined ? { type, version } : { type, version, epoch }
}

export function formatNotice(notice: Notice): string {
  return JSON.stringify(notice)
}
