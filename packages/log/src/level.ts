// KONG_LOG_LEVEL → our level; Kong's nginx level names map onto the nearest one.

import type { LevelName } from './logger.js'

const LEVELS: readonly LevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

export function parseLogLevel(value: string | undefined): LevelName {
  const v = (value ?? 'info').toLowerCase()
  const mapped = v === 'notice' ? 'info' : v === 'crit' || v === 'alert' || v === 'emerg' ? 'fatal' : v
  return (LEVELS as readonly string[]).includes(mapped) ? (mapped as LevelName) : 'info'
}
