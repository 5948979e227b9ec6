// The upstream extension fields that steer AI-aware balancing, as the entity stores them
// (`upstreams.ai`, `upstreams.slow_start`) and as a data plane reads them, defaults filled in.

export interface AiSettings {
  /** Honour provider rate-limit signals: cooldowns, failover on 429, de-weighting. */
  readonly signals: boolean
  /** Seconds a target cools down after a 429 that names no wait. */
  readonly default_cooldown: number
  /** Upper bound in seconds on any cooldown, hinted or not. */
  readonly max_cooldown: number
  /** Tokens reserved for a request whose body names no max_tokens (per-target tpm budgets). */
  readonly token_reservation: number
}

export const DEFAULT_AI_SETTINGS: AiSettings = Object.freeze({
  signals: true,
  default_cooldown: 5,
  max_cooldown: 300,
  token_reservation: 256,
})

/** Settings from a stored upstream's `ai` record; anything missing or mistyped takes its default. */
export function aiSettingsOf(record: unknown): AiSettings {
  const r = (record && typeof record === 'object' ? record : {}) as Record<string, unknown>
  const num = (k: keyof AiSettings, min: number): number => {
    const v = r[k]
    return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : (DEFAULT_AI_SETTINGS[k] as number)
  }
  return {
    signals: typeof r['signals'] === 'boolean' ? r['signals'] : DEFAULT_AI_SETTINGS.signals,
    default_cooldown: num('default_cooldown', 0),
    max_cooldown: num('max_cooldown', 0),
    token_reservation: num('token_reservation', 0),
  }
}
