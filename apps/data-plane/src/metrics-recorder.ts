// The prometheus plugin's log phase: every routed request is recorded with the switches of the
// prometheus instance that applies to its route/service (the most specific enabled one, as
// for any plugin); no instance, no recording. Requests that matched no route are never
// counted. With ai_metrics on, responses are tapped for OpenAI-style token usage.

import { switchesOf, type KongMetrics, type PrometheusSwitches, type RequestSample } from '@switchyard/metrics'
import type { AiEvents } from './ai-runtime.js'
import { createAiUsageTap, requestModelOf, isAiUsage } from './ai-usage.js'
import type { PluginInstance, PluginResolver } from './plugin-resolver.js'
import type { RequestEnd, ResponseTap } from './proxy-server.js'
import type { RouteMatch } from './router.js'

/** Provider label when the gateway does not translate providers: OpenAI-compatible APIs. */
export const DEFAULT_AI_PROVIDER = 'openai'

export class MetricsRecorder {
  private readonly switches = new WeakMap<PluginInstance, PrometheusSwitches>()

  constructor(
    private readonly metrics: KongMetrics,
    private readonly plugins: PluginResolver
  ) {}

  private switchesFor(match: RouteMatch): PrometheusSwitches | undefined {
    const instance = this.plugins.resolve(match.route.id, match.service?.id ?? null).get('prometheus')
    if (!instance) return undefined
    let sw = this.switches.get(instance)
    if (!sw) {
      sw = switchesOf(instance.config)
      this.switches.set(instance, sw)
    }
    return sw
  }

  /** ProxyDeps.onRequestEnd */
  readonly onRequestEnd = (info: RequestEnd): void => {
    const match = info.route
    if (!match) return
    const sw = this.switchesFor(match)
    if (!sw) return
    const service = match.service
    const sample: RequestSample = {
      service: service?.name ?? service?.host ?? '',
      route: match.route.name ?? match.route.id,
      status: info.status,
      source: info.source,
      consumer: info.consumer,
      kongLatencyMs: info.proxyLatencyMs,
      upstreamLatencyMs: info.upstreamLatencyMs,
      requestLatencyMs: info.totalMs,
      requestBytes: info.requestBytes,
      responseBytes: info.responseBytes,
    }
    if (sw.ai_metrics && isAiUsage(info.tap)) {
      const usage = info.tap
      sample.ai = {
        provider: DEFAULT_AI_PROVIDER,
        model: usage.model,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        totalTokens: usage.totalTokens,
        // The provider's end-to-end time: waiting for the headers, then the body.
        latencyMs: (info.upstreamLatencyMs ?? 0) + usage.bodyMs,
      }
    }
    this.metrics.recordRequest(sample, sw)
  }

  /** ProxyDeps.responseTap: only routes whose prometheus instance has ai_metrics are tapped. */
  readonly responseTap = (ctx: {
    match: RouteMatch
    status: number
    headers: Record<string, string | string[] | undefined>
    requestBody: Buffer | null | undefined
  }): ResponseTap | undefined => {
    if (!this.switchesFor(ctx.match)?.ai_metrics) return undefined
    return createAiUsageTap(ctx.headers, requestModelOf(ctx.requestBody))
  }
}

/** AI-aware balancing events as this node's Prometheus counters. */
export function aiMetricEvents(metrics: KongMetrics): AiEvents {
  return {
    cooldown: (upstream, target, reason) => metrics.recordAiCooldown(upstream, target, reason),
    failover: (upstream, reason) => metrics.recordAiFailover(upstream, reason),
    exhausted: (upstream) => metrics.recordAiExhausted(upstream),
    tokens: (upstream, target, tokens) => metrics.recordAiTokens(upstream, target, tokens),
  }
}
