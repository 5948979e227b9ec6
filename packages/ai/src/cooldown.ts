// When a provider's answer takes a target out of rotation, and for how long. A 429 always
// cools the target down (for the provider's hint, else the upstream's default); a 503 only
// when it carries a wait hint (a bare 503 is plain unavailability: health checks' business);
// Anthropic's 529 "overloaded" like a hinted 503, with the default when it has no hint; and a
// success that reports a used-up window cools down until that window resets, so the next
// request goes elsewhere instead of collecting the 429. Every cooldown is capped.

import type { AiSettings } from './settings.js'
import type { ProviderSignals, WaitSource } from './signals.js'

export type CooldownReason = 'rate_limited' | 'overloaded' | 'depleted' | 'budget'

export interface CooldownDecision {
  ms: number
  reason: CooldownReason
  /** The hint it came from, or `default` when there was none. */
  source: WaitSource | 'default'
}

/** Anthropic's "overloaded" status. */
export const OVERLOADED = 529

/** Whether an answer with this status is a rate-limit signal the request should fail over on. */
export function isFailoverStatus(status: number, signals: ProviderSignals, settings: AiSettings): boolean {
  if (!settings.signals) return false
  return status === 429 || status === OVERLOADED || (status === 503 && signals.wait !== undefined)
}

/** Whether the error body is worth reading for a wait hint (Gemini puts it there). */
export function wantsErrorBody(status: number, settings: AiSettings): boolean {
  return settings.signals && (status === 429 || status === 503 || status === OVERLOADED)
}

export function decideCooldown(status: number, signals: ProviderSignals, settings: AiSettings): CooldownDecision | undefined {
  if (!settings.signals) return undefined
  const fallback = { ms: settings.default_cooldown * 1000, source: 'default' as const }
  let decided: { ms: number; source: WaitSource | 'default' } | undefined
  let reason: CooldownReason
  if (status === 429) {
    decided = signals.wait ?? signals.depleted ?? fallback
    reason = 'rate_limited'
  } else if (status === OVERLOADED || status === 503) {
    decided = signals.wait ?? (status === OVERLOADED ? fallback : undefined)
    reason = 'overloaded'
  } else {
    decided = signals.depleted
    reason = 'depleted'
  }
  if (decided === undefined || decided.ms <= 0) return undefined
  return { ms: Math.min(decided.ms, settings.max_cooldown * 1000), reason, source: decided.source }
}
