// Public surface of the data plane app, used by apps/gateway (the composition root).
export { ConfigState, type BalancedUpstream, type ConfigStateDeps } from './config-state.js'
export {
  createProxyServer,
  type ProxyServer,
  type ProxyDeps,
  type AttemptOutcome,
  type RequestEnd,
  type AccessContext,
  type AccessResult,
  type ResponseTap,
} from './proxy-server.js'
export { PluginResolver, type PluginInstance } from './plugin-resolver.js'
export { createPluginAccess, type PluginAccess, type PluginAccessDeps } from './plugins/access.js'
export { PROXY_ERRORS } from './proxy-errors.js'
export { HealthView } from './health-view.js'
export { startHealth, type HealthRuntime } from './health-runtime.js'
export { createStatusServer, type StatusSources } from './status-server.js'
export { MetricsRecorder, aiMetricEvents } from './metrics-recorder.js'
export { AiRuntime, type AiEvents, type Ticket } from './ai-runtime.js'
export { dataPlaneScrape, type DataPlaneScrapeSources } from './metrics-scrape.js'
export { metricsRoute } from './metrics-route.js'
export { parseCooldown, proxyListeners, proxyLimitsFrom } from './config.js'
export { listenTls, createTlsProxyServer } from './tls-proxy-server.js'
export { TlsCertificates, type CertificateChain } from './tls-certificates.js'
export { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './proxy-limits.js'
