// Fixed rate-limit windows aligned to UTC calendar boundaries, as Kong's timestamp helper
// cuts them: a second, minute, hour or day starts at a multiple of its length since the
// epoch; a month on the 1st at 00:00 UTC; a year on January 1st. All times are epoch ms.
// Unlike Kong's fixed 30/365-day lengths, a window here ends where the next one starts, so
// counters of 31-day months and leap years do not expire (or reset) a day early.

export type Period = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year'

/** Shortest first, as Kong orders them. */
export const PERIODS: readonly Period[] = ['second', 'minute', 'hour', 'day', 'month', 'year']

/** Kong's nominal window lengths in seconds (kong/plugins/rate-limiting/expiration.lua). */
export const NOMINAL_SECONDS: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
}

/** `Second`, `Minute`, … as used in the X-RateLimit-*-<Period> header names. */
export const PERIOD_HEADER_NAMES: Readonly<Record<Period, string>> = {
  second: 'Second',
  minute: 'Minute',
  hour: 'Hour',
  day: 'Day',
  month: 'Month',
  year: 'Year',
}

export interface Window {
  /** First ms of the window (part of the counter key). */
  start: number
  /** First ms of the next window. */
  end: number
}

const FIXED_MS: Partial<Record<Period, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
}

/** The window of `period` that contains `nowMs`. */
export function windowOf(period: Period, nowMs: number): Window {
  const fixed = FIXED_MS[period]
  if (fixed !== undefined) {
    const start = Math.floor(nowMs / fixed) * fixed
    return { start, end: start + fixed }
  }
  const d = new Date(nowMs)
  const y = d.getUTCFullYear()
  if (period === 'month') {
    const m = d.getUTCMonth()
    return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) }
  }
  return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) }
}

/**
 * Seconds until the window resets, for RateLimit-Reset and Retry-After: whole seconds left,
 * at least 1 (Kong: window length minus whole seconds elapsed, floored at 1).
 */
export function resetSeconds(window: Window, nowMs: number): number {
  return Math.max(1, Math.ceil((window.end - nowMs) / 1000))
}
