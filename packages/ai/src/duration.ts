// The time formats providers use to say "wait": Go-style durations (OpenAI's
// `x-ratelimit-reset-*`: `20ms`, `1s`, `6m0s`, `1h2m3.5s`), protobuf Duration strings (Gemini's
// `retryDelay`: `30s`, `1.5s`), `Retry-After` (delta-seconds or an HTTP-date, RFC 9110 §10.2.3)
// and RFC 3339 instants (Anthropic's `anthropic-ratelimit-*-reset`). Every parser is lenient:
// anything malformed gives undefined, never an exception, so a bad header cannot break a response.

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 }
// One `<number><unit>` part; `ms` before `m` and `s` so the alternation takes the longest unit.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|ns|h|m|s)/y
/** Longest wait we accept from any hint; a larger value is taken as garbage. */
export const MAX_HINT_MS = 24 * 3_600_000

/** A Go or protobuf duration string in milliseconds; undefined when malformed or negative. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim()
  if (s === '' || s.length > 64) return undefined
  if (s === '0') return 0
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex
    const m = PART.exec(s)
    if (!m || m.index !== start) return undefined
    total += Number(m[1]) * UNIT_MS[m[2]!]!
  }
  return Number.isFinite(total) && total <= MAX_HINT_MS ? total : undefined
}

/**
 * `Retry-After` in milliseconds from `nowMs`: delta-seconds (fractions tolerated, as some
 * OpenAI-compatible servers send them) or an HTTP-date. A date in the past gives 0.
 */
export function parseRetryAfter(text: string, nowMs: number): number | undefined {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) {
    const ms = Number(s) * 1000
    return ms <= MAX_HINT_MS ? ms : undefined
  }
  // IMF-fixdate and the two obsolete forms all start with a weekday in letters. asctime has no
  // zone but means GMT; Date.parse would read it as local time.
  let date: string
  if (/^[A-Za-z]{3}, /.test(s) || /^[A-Za-z]+day, /.test(s)) date = s
  else if (/^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(s)) date = `${s} GMT`
  else return undefined
  const at = Date.parse(date)
  if (Number.isNaN(at)) return undefined
  return clampWait(at - nowMs)
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/** An RFC 3339 instant as milliseconds from `nowMs` (0 when in the past). */
export function parseRfc3339Wait(text: string, nowMs: number): number | undefined {
  const s = text.trim()
  if (!RFC3339.test(s)) return undefined
  const at = Date.parse(s)
  if (Number.isNaN(at)) return undefined
  return clampWait(at - nowMs)
}

function clampWait(ms: number): number | undefined {
  if (ms > MAX_HINT_MS) return undefined
  return Math.max(0, ms)
}
