// What a provider's answer says about its rate limits (reference/ai-provider-signals.md):
// an explicit wait (Retry-After, Azure's retry-after-ms, Gemini's RetryInfo.retryDelay), a
// window that is used up (OpenAI's x-ratelimit-remaining-* = 0 with its reset, Anthropic's
// anthropic-ratelimit-*-remaining = 0 with its RFC 3339 reset), and how much of the window is
// left (remaining / limit), which lets balancing move traffic before the provider refuses.
// Pure: headers and body in, numbers out; malformed values are ignored one by one.

import { parseDuration, parseRetryAfter, parseRfc3339Wait } from './duration.js'

export type Headers = Readonly<Record<string, string | readonly string[] | undefined>>

/** Where a wait hint came from, for logs and the health endpoint. */
export type WaitSource =
  | 'retry-after-ms'
  | 'retry-after'
  | 'retry-delay'
  | 'x-ratelimit-reset'
  | 'anthropic-ratelimit-reset'

export interface ProviderSignals {
  /** The provider asked for this wait (ms from now). */
  wait?: { ms: number; source: WaitSource }
  /** A window is used up: the provider refuses until then (ms from now). */
  depleted?: { ms: number; source: WaitSource }
  /**
   * The least that is left of any window (0..1 of its limit) and when that window resets, with
   * the raw remaining requests and tokens as reported (for the health endpoint).
   */
  remaining?: { share: number; resetMs: number; requests?: number; tokens?: number }
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name]
  const s = typeof v === 'string' ? v : v?.[0]
  return s === undefined || s === '' ? undefined : s
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

interface Window {
  kind: 'requests' | 'tokens'
  remaining: number
  limit: number | undefined
  resetMs: number | undefined
}

/** OpenAI (and compatible servers): requests and tokens windows with Go-duration resets. */
function openAiWindows(headers: Headers): Window[] {
  const out: Window[] = []
  for (const kind of ['requests', 'tokens']) {
    const remaining = count(header(headers, `x-ratelimit-remaining-${kind}`))
    if (remaining === undefined) continue
    const reset = header(headers, `x-ratelimit-reset-${kind}`)
    out.push({
      kind: kind === 'requests' ? 'requests' : 'tokens',
      remaining,
      limit: count(header(headers, `x-ratelimit-limit-${kind}`)),
      resetMs: reset === undefined ? undefined : parseDuration(reset),
    })
  }
  return out
}

const ANTHROPIC_KINDS = ['requests', 'tokens', 'input-tokens', 'output-tokens']

/** Anthropic: four windows with RFC 3339 resets. */
function anthropicWindows(headers: Headers, nowMs: number): Window[] {
  const out: Window[] = []
  for (const kind of ANTHROPIC_KINDS) {
    const remaining = count(header(headers, `anthropic-ratelimit-${kind}-remaining`))
    if (remaining === undefined) continue
    const reset = header(headers, `anthropic-ratelimit-${kind}-reset`)
    out.push({
      kind: kind === 'requests' ? 'requests' : 'tokens',
      remaining,
      limit: count(header(headers, `anthropic-ratelimit-${kind}-limit`)),
      resetMs: reset === undefined ? undefined : parseRfc3339Wait(reset, nowMs),
    })
  }
  return out
}

/** Gemini / Vertex: `error.details[].retryDelay` of a google.rpc.RetryInfo in a JSON body. */
export function retryDelayOf(body: string): number | undefined {
  if (!body.includes('retryDelay')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  // Gemini wraps one error object; some proxies send an array of them.
  const errors = Array.isArray(parsed) ? parsed : [parsed]
  for (const e of errors) {
    const details = (e as { error?: { details?: unknown } } | null)?.error?.details
    if (!Array.isArray(details)) continue
    for (const d of details) {
      const delay = (d as { retryDelay?: unknown } | null)?.retryDelay
      if (typeof delay === 'string') {
        const ms = parseDuration(delay)
        if (ms !== undefined) return ms
      }
    }
  }
  return undefined
}

function explicitWait(headers: Headers, body: string | undefined, nowMs: number): ProviderSignals['wait'] {
  const ms = count(header(headers, 'retry-after-ms'))
  if (ms !== undefined) return { ms, source: 'retry-after-ms' }
  const ra = header(headers, 'retry-after')
  const raMs = ra === undefined ? undefined : parseRetryAfter(ra, nowMs)
  if (raMs !== undefined) return { ms: raMs, source: 'retry-after' }
  const delay = body === undefined ? undefined : retryDelayOf(body)
  if (delay !== undefined) return { ms: delay, source: 'retry-delay' }
  return undefined
}

/**
 * Reads every rate-limit signal of one response. `body` is the (small) error body of a 429/503
 * when the caller read it; success bodies are never needed.
 */
export function readSignals(headers: Headers, body: string | undefined, nowMs: number): ProviderSignals {
  const out: ProviderSignals = {}
  const wait = explicitWait(headers, body, nowMs)
  if (wait) out.wait = wait
  const windows: [Window[], WaitSource][] = [
    [openAiWindows(headers), 'x-ratelimit-reset'],
    [anthropicWindows(headers, nowMs), 'anthropic-ratelimit-reset'],
  ]
  let least: { share: number; resetMs: number } | undefined
  const raw: { requests?: number; tokens?: number } = {}
  for (const [list, source] of windows) {
    for (const w of list) {
      if (w.resetMs === undefined) continue
      // The smallest remaining figure of each kind is the one that binds.
      const seen = raw[w.kind]
      if (seen === undefined || w.remaining < seen) raw[w.kind] = w.remaining
      // A used-up window: the longest of them is when the provider takes requests again.
      if (w.remaining === 0 && (out.depleted === undefined || w.resetMs > out.depleted.ms)) {
        out.depleted = { ms: w.resetMs, source }
      }
      if (w.limit === undefined || w.limit <= 0) continue
      const share = Math.min(1, w.remaining / w.limit)
      if (least === undefined || share < least.share) least = { share, resetMs: w.resetMs }
    }
  }
  if (least) out.remaining = { ...least, ...raw }
  return out
}

/** True when a response carries no rate-limit header at all (the common self-hosted case). */
export function hasRateLimitHeaders(headers: Headers): boolean {
  for (const name in headers) {
    const c = name.charCodeAt(0)
    // Cheap first-letter screen before the prefix tests: x-…, a…, r…
    if (c !== 120 && c !== 97 && c !== 114) continue
    if (name.startsWith('x-ratelimit-') || name.startsWith('anthropic-ratelimit-') || name === 'retry-after' || name === 'retry-after-ms') return true
  }
  return false
}
