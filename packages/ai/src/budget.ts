// Per-target budgets (target extension fields `rpm`, `tpm`): fixed one-minute windows aligned
// to UTC, as providers and Kong's rate-limiting count them. A request reserves one request and
// an estimate of its tokens when it starts and settles the estimate against the usage the
// response reports, so nodes that share the counters cannot overshoot by more than what is in
// flight. The Redis store's Lua script applies the same `admits` rule.

export const BUDGET_WINDOW_MS = 60_000

export interface BudgetLimits {
  /** Requests per minute, null = unlimited. */
  readonly rpm: number | null
  /** Tokens per minute, null = unlimited. */
  readonly tpm: number | null
}

export interface BudgetCounts {
  /** Requests admitted in the window. */
  readonly requests: number
  /** Tokens settled (reported by responses) in the window. */
  readonly tokens: number
  /** Tokens reserved by requests still in flight. */
  readonly reserved: number
}

export const EMPTY_COUNTS: BudgetCounts = Object.freeze({ requests: 0, tokens: 0, reserved: 0 })

/** Start (inclusive) and end (exclusive) of the window holding `nowMs`, epoch ms. */
export function budgetWindow(nowMs: number): { start: number; end: number } {
  const start = Math.floor(nowMs / BUDGET_WINDOW_MS) * BUDGET_WINDOW_MS
  return { start, end: start + BUDGET_WINDOW_MS }
}

export function hasBudget(limits: BudgetLimits): boolean {
  return limits.rpm !== null || limits.tpm !== null
}

/**
 * Whether one more request reserving `estimate` tokens fits. A window with no tokens counted
 * yet always takes a request even if its estimate alone exceeds tpm, so an oversized
 * max_tokens cannot starve a target forever.
 */
export function admits(counts: BudgetCounts, limits: BudgetLimits, estimate: number): boolean {
  if (limits.rpm !== null && counts.requests >= limits.rpm) return false
  if (limits.tpm !== null) {
    const committed = counts.tokens + counts.reserved
    if (committed >= limits.tpm) return false
    if (committed > 0 && committed + estimate > limits.tpm) return false
  }
  return true
}

const MAX_ESTIMATE = 10_000_000

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_ESTIMATE ? v : undefined
}

/**
 * Tokens to reserve for a request: the output cap its JSON body names (OpenAI `max_tokens` /
 * `max_completion_tokens`, Anthropic `max_tokens`, Gemini `generationConfig.maxOutputTokens`),
 * else the upstream's default.
 */
export function reservationFor(body: Uint8Array | null | undefined, fallback: number): number {
  if (!body || body.length === 0 || body.length > 1024 * 1024 || body[0] !== 0x7b) return fallback
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as Record<string, unknown>
  } catch {
    return fallback
  }
  if (!parsed || typeof parsed !== 'object') return fallback
  const gen = parsed['generationConfig'] as Record<string, unknown> | undefined
  return (
    positiveInt(parsed['max_completion_tokens']) ??
    positiveInt(parsed['max_tokens']) ??
    positiveInt(gen && typeof gen === 'object' ? gen['maxOutputTokens'] : undefined) ??
    fallback
  )
}

/** Tokens to settle: what the response reported, else the reservation (usage unknown). */
export function settledTokens(reported: number | undefined, reserved: number): number {
  return reported !== undefined && Number.isFinite(reported) && reported >= 0 ? reported : reserved
}
