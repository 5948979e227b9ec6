// Public surface of @switchyard/metrics: Kong-named Prometheus metrics for one node (the only
// user of prom-client), Kong's exposition format, the plugin's switches and gating, connection
// counters and target-health rows.
export { KongMetrics, KONG_METRICS_VERSION, SHARED_FAMILIES, type AiSample, type KongMetricsOptions, type RequestSample, type ScrapeInput } from './kong-metrics.js'
export { CONTENT_TYPE, escapeLabelValue, formatNumber, renderFamilies, type Family, type MetricType, type Series } from './exposition.js'
export { AI_PROVIDER_LATENCY_BUCKETS, KONG_LATENCY_BUCKETS, UPSTREAM_LATENCY_BUCKETS } from './buckets.js'
export { ALL_SWITCHES_OFF, scrapeGate, switchesOf, type PrometheusSwitches, type ScrapeGate } from './switches.js'
export { ConnectionCounters, type ConnectionStats } from './connection-counters.js'
export {
  AddressResolver,
  TARGET_HEALTH_STATES,
  splitTarget,
  targetHealthRows,
  type LookupFn,
  type TargetHealthRow,
  type TargetHealthState,
  type UpstreamHealthInput,
} from './target-health.js'
export { sendMetrics } from './send-metrics.js'
