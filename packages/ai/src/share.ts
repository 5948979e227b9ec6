// A target's effective share of its configured weight, from what AI-aware balancing knows of
// it: 0 while cooling down (rate limited, overloaded or out of budget); the fraction of its
// provider window that is left, until that window resets (de-weighting: traffic moves before
// the provider starts refusing); and a linear slow-start ramp after it comes back. The
// balancer multiplies the weight by this and never learns why.

/** De-weighting never goes below this: a stale "almost empty" report must not strand a target. */
export const MIN_REMAINING_SHARE = 0.05
/** A ramping target starts here rather than at 0, which would make it unusable. */
export const MIN_RAMP_SHARE = 0.05

export interface ShareState {
  /** Epoch ms until which the target is out of rotation. */
  coolUntil?: number
  /** Share of the provider window left, valid until `until` (epoch ms). */
  remaining?: { share: number; until: number }
  /** Epoch ms the target came back (slow start begins). */
  rampFrom?: number
}

/** Linear ramp over `durationMs`, floored at MIN_RAMP_SHARE; 1 when slow start is off or over. */
export function rampShare(elapsedMs: number, durationMs: number): number {
  if (!(durationMs > 0) || elapsedMs >= durationMs) return 1
  return Math.max(MIN_RAMP_SHARE, elapsedMs / durationMs)
}

export function shareAt(state: ShareState, nowMs: number, slowStartMs: number): number {
  if (state.coolUntil !== undefined && state.coolUntil > nowMs) return 0
  let share = 1
  const r = state.remaining
  if (r !== undefined && r.until > nowMs) share *= Math.max(MIN_REMAINING_SHARE, Math.min(1, r.share))
  if (state.rampFrom !== undefined) share *= rampShare(nowMs - state.rampFrom, slowStartMs)
  return share
}

/** Whether the share can still change by the passage of time alone (a tick must revisit it). */
export function isTransient(state: ShareState, nowMs: number, slowStartMs: number): boolean {
  return (
    (state.coolUntil !== undefined && state.coolUntil > nowMs) ||
    (state.remaining !== undefined && state.remaining.until > nowMs) ||
    (state.rampFrom !== undefined && nowMs - state.rampFrom < slowStartMs)
  )
}

/**
 * Usage in the balancer's `lowest-usage` terms: the algorithm compares usage per unit of
 * weight, so usage against a tpm is scaled to read as a share of that tpm.
 */
export function usageInWeightUnits(usedTokens: number, weight: number, tpm: number | null): number {
  return tpm !== null && tpm > 0 ? (usedTokens * weight) / tpm : usedTokens
}
