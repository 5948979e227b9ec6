// Histogram bucket boundaries in milliseconds, as Kong's exporter declares them (reference
// metrics-and-ratelimit.md §1.5). The official dashboard's quantiles are only comparable with
// Kong's when the boundaries are the same.

export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 3000, 6000] as const

/** kong_upstream_latency_ms, kong_request_latency_ms (and Kong's stream session duration). */
export const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000] as const

export const AI_PROVIDER_LATENCY_BUCKETS = [
  250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 10000, 30000, 60000,
] as const
