// The verdict for one request and the headers that tell the client about it, from each
// configured period's limit and the usage counted before this request:
//
// * remaining = limit − usage; a period with remaining ≤ 0 blocks the request.
// * X-RateLimit-Limit-<P> / X-RateLimit-Remaining-<P> per period, where the remaining value
//   already accounts for this request (−1), except — when another period blocked — for the
//   periods that did not block (a blocked request is not counted against them). Never < 0.
// * RateLimit-Limit / RateLimit-Remaining: the most restrictive period (fewest remaining;
//   on a tie the longer window), RateLimit-Reset: seconds until that period's window resets.
// * Retry-After (= RateLimit-Reset) on a blocked request.
// * hide_client_headers: none of them.

import type { Limit } from './config.js'
import { PERIOD_HEADER_NAMES, PERIODS, resetSeconds, type Period, type Window } from './windows.js'

export interface PeriodUsage extends Limit {
  /** Requests counted in this window before the current one. */
  usage: number
  window: Window
}

export interface Decision {
  /** The period that blocked the request, if any. */
  blocked: Period | undefined
  headers: Record<string, string>
}

const rank = (p: Period) => PERIODS.indexOf(p)

export function decide(usages: readonly PeriodUsage[], nowMs: number, hideHeaders: boolean): Decision {
  let blocked: Period | undefined
  // The last blocking period wins, as in Kong's loop; any one of them blocks.
  for (const u of usages) if (u.limit - u.usage <= 0) blocked = u.period
  if (hideHeaders || usages.length === 0) return { blocked, headers: {} }

  const headers: Record<string, string> = {}
  let best: { u: PeriodUsage; remaining: number } | undefined
  for (const u of usages) {
    let remaining = u.limit - u.usage
    if (blocked === undefined || blocked === u.period) remaining -= 1
    remaining = Math.max(0, remaining)
    if (!best || remaining < best.remaining || (remaining === best.remaining && rank(u.period) > rank(best.u.period))) {
      best = { u, remaining }
    }
    const name = PERIOD_HEADER_NAMES[u.period]
    headers[`X-RateLimit-Limit-${name}`] = String(u.limit)
    headers[`X-RateLimit-Remaining-${name}`] = String(remaining)
  }
  const reset = String(resetSeconds(best!.u.window, nowMs))
  headers['RateLimit-Limit'] = String(best!.u.limit)
  headers['RateLimit-Remaining'] = String(best!.remaining)
  headers['RateLimit-Reset'] = reset
  if (blocked) headers['Retry-After'] = reset
  return { blocked, headers }
}
