// The prometheus plugin's switches (reference §1.2) and Kong's gating rules (§1.3): request
// families are recorded per request with the switches of the instance that applies to it;
// the scrape prints them only while some instance is enabled; target health is printed when
// any enabled instance asks for it.

export interface PrometheusSwitches {
  per_consumer: boolean
  status_code_metrics: boolean
  ai_metrics: boolean
  latency_metrics: boolean
  bandwidth_metrics: boolean
  upstream_health_metrics: boolean
}

export const ALL_SWITCHES_OFF: PrometheusSwitches = Object.freeze({
  per_consumer: false,
  status_code_metrics: false,
  ai_metrics: false,
  latency_metrics: false,
  bandwidth_metrics: false,
  upstream_health_metrics: false,
})

/** Reads a plugin instance's `config`; anything but `true` is off (the schema default). */
export function switchesOf(config: Readonly<Record<string, unknown>> | null | undefined): PrometheusSwitches {
  const on = (k: keyof PrometheusSwitches) => config?.[k] === true
  return {
    per_consumer: on('per_consumer'),
    status_code_metrics: on('status_code_metrics'),
    ai_metrics: on('ai_metrics'),
    latency_metrics: on('latency_metrics'),
    bandwidth_metrics: on('bandwidth_metrics'),
    upstream_health_metrics: on('upstream_health_metrics'),
  }
}

/** What a scrape prints, from every enabled prometheus instance's config. */
export interface ScrapeGate {
  /** Some instance is enabled: shared (request) families are printed. */
  enabled: boolean
  /** Some enabled instance has upstream_health_metrics: kong_upstream_target_health is computed. */
  upstreamHealth: boolean
}

export function scrapeGate(enabledConfigs: readonly (Readonly<Record<string, unknown>> | null | undefined)[]): ScrapeGate {
  return {
    enabled: enabledConfigs.length > 0,
    upstreamHealth: enabledConfigs.some((c) => switchesOf(c).upstream_health_metrics),
  }
}
