// A fake OpenAI-style provider on port 0 for tests and benchmarks: answers chat completions as
// JSON or SSE with `usage`, enforces its own requests/tokens per window with 429 + Retry-After +
// x-ratelimit-* headers (as OpenAI does), and takes scripted answers for the next requests
// (any status, headers and body, or a stream that dies before its first byte).

import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ScriptedAnswer {
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Close the connection after the headers, before any body byte. */
  dieBeforeFirstByte?: boolean
  /** Only answer after this delay. */
  delayMs?: number
}

export interface FakeProviderOptions {
  /** Tokens reported in each answer's usage (split prompt/completion 1:3). */
  tokens?: number
  /** Own limits per window, enforced with 429 like a provider; undefined = unlimited. */
  rpm?: number
  tpm?: number
  /** Window length (60 s like providers; shorter in tests). */
  windowMs?: number
  /** Send x-ratelimit-* headers on every answer (OpenAI style). Default true when limited. */
  rateLimitHeaders?: boolean
  /** Time to first byte of every answer. */
  delayMs?: number
  /** SSE: events per second of a streamed answer, and how many content events before usage. */
  streamEventsPerSecond?: number
  streamEvents?: number
}

export interface ProviderRequest {
  at: number
  body: string
}

export interface FakeProvider {
  name: string
  port: number
  address: string
  /** Requests that reached the provider, in order (including those it refused). */
  requests: ProviderRequest[]
  /** Answers given: 2xx and 429 counts. */
  counts: { ok: number; limited: number; scripted: number }
  /** Tokens reported in usage across all 2xx answers. */
  tokensSent: number
  /** Queues answers for the next requests, in order. */
  script(...answers: ScriptedAnswer[]): void
  close(): Promise<void>
}

function parse(body: string): { stream?: boolean; model?: string } {
  try {
    const v = JSON.parse(body) as unknown
    return v && typeof v === 'object' ? (v as { stream?: boolean; model?: string }) : {}
  } catch {
    return {}
  }
}

function goDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.round(ms))}ms` : `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`
}

export async function startFakeProvider(name: string, opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const tokens = opts.tokens ?? 100
  const windowMs = opts.windowMs ?? 60_000
  const limited = opts.rpm !== undefined || opts.tpm !== undefined
  const sendHeaders = opts.rateLimitHeaders ?? limited
  const requests: ProviderRequest[] = []
  const counts = { ok: 0, limited: 0, scripted: 0 }
  const queue: ScriptedAnswer[] = []
  let window = -1
  let used = { requests: 0, tokens: 0 }
  const provider: FakeProvider = {
    name,
    port: 0,
    address: '',
    requests,
    counts,
    tokensSent: 0,
    script: (...answers) => queue.push(...answers),
    close: async () => {},
  }

  function limitHeaders(now: number): Record<string, string> {
    if (!sendHeaders) return {}
    const resetMs = (window + 1) * windowMs - now
    const h: Record<string, string> = {}
    if (opts.rpm !== undefined) {
      h['x-ratelimit-limit-requests'] = String(opts.rpm)
      h['x-ratelimit-remaining-requests'] = String(Math.max(0, opts.rpm - used.requests))
      h['x-ratelimit-reset-requests'] = goDuration(resetMs)
    }
    if (opts.tpm !== undefined) {
      h['x-ratelimit-limit-tokens'] = String(opts.tpm)
      h['x-ratelimit-remaining-tokens'] = String(Math.max(0, opts.tpm - used.tokens))
      h['x-ratelimit-reset-tokens'] = goDuration(resetMs)
    }
    return h
  }

  function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const scripted = queue.shift()
    if (scripted) {
      counts.scripted++
      if (scripted.dieBeforeFirstByte) {
        res.writeHead(scripted.status ?? 200, { 'content-type': 'text/event-stream', ...scripted.headers })
        res.flushHeaders()
        setTimeout(() => res.socket?.destroy(), 5)
        return
      }
      res.writeHead(scripted.status ?? 200, { 'content-type': 'application/json', 'x-upstream': name, ...scripted.headers })
      res.end(scripted.body ?? '')
      return
    }
    const now = Date.now()
    const w = Math.floor(now / windowMs)
    if (w !== window) {
      window = w
      used = { requests: 0, tokens: 0 }
    }
    const overRequests = opts.rpm !== undefined && used.requests >= opts.rpm
    const overTokens = opts.tpm !== undefined && used.tokens + tokens > opts.tpm
    if (overRequests || overTokens) {
      counts.limited++
      const resetMs = (window + 1) * windowMs - now
      const kind = overRequests ? 'requests' : 'tokens'
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(Math.max(1, Math.ceil(resetMs / 1000))),
        'x-upstream': name,
        ...limitHeaders(now),
      })
      res.end(JSON.stringify({ error: { message: `Rate limit reached on ${kind} per min`, type: kind, param: null, code: 'rate_limit_exceeded' } }))
      return
    }
    used.requests++
    used.tokens += tokens
    counts.ok++
    provider.tokensSent += tokens
    const prompt = Math.floor(tokens / 4)
    const usage = { prompt_tokens: prompt, completion_tokens: tokens - prompt, total_tokens: tokens }
    const request = parse(body)
    const model = request.model ?? 'fake-model'
    const headers = { 'x-upstream': name, ...limitHeaders(now) }
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify({ id: 'cmpl', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content: name } }], usage }))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers })
    const events = opts.streamEvents ?? 3
    const gap = opts.streamEventsPerSecond ? 1000 / opts.streamEventsPerSecond : 0
    let sent = 0
    const next = () => {
      if (res.destroyed) return
      if (sent < events) {
        sent++
        res.write(`data: ${JSON.stringify({ model, choices: [{ index: 0, delta: { content: `${name}-${sent}` } }] })}\n\n`)
      } else {
        res.write(`data: ${JSON.stringify({ model, choices: [], usage })}\n\ndata: [DONE]\n\n`)
        res.end()
        return
      }
      if (gap > 0) setTimeout(next, gap)
      else setImmediate(next)
    }
    next()
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      requests.push({ at: Date.now(), body })
      const delay = queue[0]?.delayMs ?? opts.delayMs ?? 0
      if (delay > 0) setTimeout(() => answer(req, res, body), delay)
      else answer(req, res, body)
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  provider.port = (server.address() as AddressInfo).port
  provider.address = `127.0.0.1:${provider.port}`
  provider.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return provider
}
