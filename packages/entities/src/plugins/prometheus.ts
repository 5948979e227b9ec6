// The prometheus plugin's config (kong/plugins/prometheus/schema.lua): switches that gate
// metric families. See reference metrics-and-ratelimit.md §1.2.

import type { Fields } from '../schema.js'

const flag = { type: 'boolean', default: false } as const

export const prometheusConfig: Fields = {
  per_consumer: flag,
  status_code_metrics: flag,
  ai_metrics: flag,
  latency_metrics: flag,
  bandwidth_metrics: flag,
  upstream_health_metrics: flag,
}
