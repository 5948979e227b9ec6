// Reads OpenAI-style token usage from a proxied response as it streams by, for the
// kong_ai_llm_* metrics. It only observes: the proxy writes every chunk to the client before or
// regardless of what happens here, nothing is delayed, and a body that is not what we expect
// is simply ignored. JSON bodies are kept (up to a cap) and parsed at the end; SSE streams are
// parsed event by event, keeping the last `usage` seen (`data: [DONE]` carries none) and the
// first `model`. Once the model is known, only an event with a `"usage": {` in it is worth
// parsing (OpenAI sends `"usage":null` on every chunk when asked for usage): a chunk of whole
// events without one is skipped after a byte search, never decoded (bench:stream relays
// thousands of such chunks a second).

import { StringDecoder } from 'node:string_decoder'
import type { ResponseTap } from './proxy-server.js'

export interface AiUsage {
  model: string
  promptTokens?: number
  completionTokens?: number
  totalTokens?: number
  /** From the response headers to the end of the body. */
  bodyMs: number
}

/** Larger JSON bodies are not parsed (usage is then unknown). */
export const MAX_JSON_BODY = 4 * 1024 * 1024

type Headers = Record<string, string | string[] | undefined>

function header(headers: Headers, name: string): string {
  const v = headers[name]
  return (Array.isArray(v) ? v[0] : v) ?? ''
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined
}

interface Found {
  model: string | undefined
  usage: Record<string, unknown> | undefined
}

/** Takes `model` (first seen) and `usage` (last non-null seen) from one parsed JSON object. */
function take(found: Found, obj: unknown): void {
  if (!obj || typeof obj !== 'object') return
  const o = obj as Record<string, unknown>
  if (found.model === undefined && typeof o['model'] === 'string' && o['model'] !== '') found.model = o['model']
  const usage = o['usage']
  if (usage && typeof usage === 'object' && !Array.isArray(usage)) found.usage = usage as Record<string, unknown>
}

function result(found: Found, fallbackModel: string, started: number): AiUsage | undefined {
  if (!found.usage && found.model === undefined) return undefined
  const u = found.usage ?? {}
  const prompt = count(u['prompt_tokens']) ?? count(u['input_tokens'])
  const completion = count(u['completion_tokens']) ?? count(u['output_tokens'])
  const total = count(u['total_tokens']) ?? (prompt !== undefined || completion !== undefined ? (prompt ?? 0) + (completion ?? 0) : undefined)
  return {
    model: found.model ?? fallbackModel,
    ...(prompt !== undefined ? { promptTokens: prompt } : {}),
    ...(completion !== undefined ? { completionTokens: completion } : {}),
    ...(total !== undefined ? { totalTokens: total } : {}),
    bodyMs: performance.now() - started,
  }
}

class JsonUsageTap implements ResponseTap {
  private chunks: Buffer[] = []
  private size = 0

  constructor(
    private readonly fallbackModel: string,
    private readonly started: number,
    private readonly requestModel?: string
  ) {}

  write(chunk: Buffer): void {
    if (this.size > MAX_JSON_BODY) return
    this.size += chunk.length
    if (this.size > MAX_JSON_BODY) this.chunks = []
    else this.chunks.push(chunk)
  }

  end(): AiUsage | undefined {
    if (this.size > MAX_JSON_BODY || this.size === 0) return undefined
    const chunks = this.chunks
    this.chunks = []
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size)
    // The usual answer: the model known from the request, usage the last member (OpenAI's order).
    if (this.requestModel !== undefined) {
      const usage = trailingUsage(body)
      if (usage !== undefined) return result({ model: this.requestModel, usage }, this.fallbackModel, this.started)
    }
    // Only `model` and `usage` are read: located in place, and only the usage object parsed.
    const at = [-1, -1, -1, -1]
    // Anything the scan does not follow (not an object, out of shape) gets the full parse.
    if (!locateTopLevel(body, MODEL_AND_USAGE, at, true)) return this.parseWhole(body)
    const found: Found = { model: this.requestModel ?? stringAt(body, at[0]!, at[1]!), usage: undefined }
    const usageStart = at[2]!
    if (usageStart !== -1 && body[usageStart] === 0x7b) {
      try {
        found.usage = JSON.parse(body.toString('utf8', usageStart, at[3]!)) as Record<string, unknown>
      } catch {
        return undefined
      }
    }
    return result(found, this.fallbackModel, this.started)
  }

  private parseWhole(body: Buffer): AiUsage | undefined {
    const found: Found = { model: this.requestModel, usage: undefined }
    try {
      take(found, JSON.parse(body.toString('utf8')))
    } catch {
      return undefined
    }
    return result(found, this.fallbackModel, this.started)
  }
}

const USAGE_KEY = Buffer.from('"usage"')
/** `"usage"` followed by an object, in one event's decoded payload. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/

const isJsonSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09

/** Whether `chunk` may hold `"usage": {` (a cut at its end counts as maybe). */
export function mayCarryUsage(chunk: Buffer): boolean {
  for (let i = chunk.indexOf(USAGE_KEY); i !== -1; i = chunk.indexOf(USAGE_KEY, i + USAGE_KEY.length)) {
    let j = i + USAGE_KEY.length
    while (isJsonSpace(chunk[j])) j++
    if (j < chunk.length && chunk[j] !== 0x3a) continue
    j++
    while (isJsonSpace(chunk[j])) j++
    if (j >= chunk.length || chunk[j] === 0x7b) return true
  }
  return false
}

/** The chunk ends with a blank line (`\n\n` or `\r\n\r\n`): every event in it is complete. */
function endsEvent(chunk: Buffer): boolean {
  const n = chunk.length
  return n >= 2 && chunk[n - 1] === 0x0a && (chunk[n - 2] === 0x0a || (chunk[n - 2] === 0x0d && chunk[n - 3] === 0x0a))
}

class SseUsageTap implements ResponseTap {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''
  private data: string[] = []
  private readonly found: Found
  /** Nothing carried over from earlier chunks: no partial line or event, no cut character. */
  private atBoundary = true

  constructor(
    private readonly fallbackModel: string,
    private readonly started: number,
    requestModel?: string
  ) {
    // The model the client asked for wins, as in Kong's labels; the stream's own comes second.
    this.found = { model: requestModel, usage: undefined }
  }

  write(chunk: Buffer): void {
    // Whole content events after the model is known: parsing them would change nothing.
    if (this.atBoundary && this.found.model !== undefined && endsEvent(chunk) && !mayCarryUsage(chunk)) return
    const text = this.partial + this.decoder.write(chunk)
    let start = 0
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.line(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl))
      start = nl + 1
    }
    this.partial = text.slice(start)
    // A chunk ending in a newline leaves no character cut in the decoder.
    this.atBoundary = this.partial === '' && this.data.length === 0 && chunk[chunk.length - 1] === 0x0a
  }

  private line(line: string): void {
    if (line === '') return this.dispatch()
    if (!line.startsWith('data:')) return
    this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5))
  }

  /** One event is complete (blank line): parse it when it can carry what we look for. */
  private dispatch(): void {
    if (this.data.length === 0) return
    const payload = this.data.join('\n')
    this.data = []
    if (payload === '[DONE]') return
    // Most events are content deltas: skip parsing those once the model is known.
    if (this.found.model !== undefined && !USAGE_OBJECT.test(payload)) return
    try {
      take(this.found, JSON.parse(payload))
    } catch {
      // Not JSON: not ours to judge.
    }
  }

  end(): AiUsage | undefined {
    const rest = this.partial + this.decoder.end()
    this.partial = ''
    if (rest !== '') this.line(rest)
    this.dispatch()
    return result(this.found, this.fallbackModel, this.started)
  }
}

/**
 * A tap for one response, or undefined when its body cannot carry OpenAI-style usage
 * (not JSON or SSE, or compressed).
 */
export function createAiUsageTap(headers: Headers, requestModel?: string): ResponseTap | undefined {
  const encoding = header(headers, 'content-encoding').toLowerCase()
  if (encoding !== '' && encoding !== 'identity') return undefined
  const type = header(headers, 'content-type').toLowerCase()
  // OpenAI names the serving model in a header too; Kong's ai-proxy sets provider/model.
  // Kong labels with the model the client asked for; the serving model names come second.
  const fallbackModel =
    requestModel || header(headers, 'openai-model') || header(headers, 'x-kong-llm-model').replace(/^[^/]*\//, '')
  const started = performance.now()
  if (type.includes('text/event-stream')) return new SseUsageTap(fallbackModel, started, requestModel)
  if (type.includes('json')) return new JsonUsageTap(fallbackModel, started, requestModel)
  return undefined
}

/** Largest request body parsed for its `model`; chat requests are far smaller. */
const MAX_REQUEST_JSON = 1024 * 1024

const MODEL_KEY = Buffer.from('model')
const USAGE_NAME = Buffer.from('usage')
const MODEL_ONLY = [MODEL_KEY]
const MODEL_AND_USAGE = [MODEL_KEY, USAGE_NAME]
const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Index just past the string whose opening quote is at `i`, or -1 when it never closes. */
function skipString(body: Buffer, i: number): number {
  for (let q = body.indexOf(QUOTE, i + 1); q !== -1; q = body.indexOf(QUOTE, q + 1)) {
    let slashes = 0
    while (body[q - 1 - slashes] === BACKSLASH) slashes++
    if (slashes % 2 === 0) return q + 1
  }
  return -1
}

function skipSpace(body: Buffer, i: number): number {
  while (isJsonSpace(body[i])) i++
  return i
}

/** Index just past the JSON value starting at `i` (objects and arrays by bracket depth), or -1. */
function skipValue(body: Buffer, i: number): number {
  const first = body[i]
  if (first === QUOTE) return skipString(body, i)
  if (first !== 0x7b && first !== 0x5b) {
    // A number, true, false or null: up to the next delimiter.
    while (i < body.length && body[i] !== 0x2c && body[i] !== 0x7d && body[i] !== 0x5d && !isJsonSpace(body[i])) i++
    return i
  }
  let depth = 0
  while (i < body.length) {
    const b = body[i]
    if (b === QUOTE) {
      i = skipString(body, i)
      if (i === -1) return -1
      continue
    }
    if (b === 0x7b || b === 0x5b) depth++
    else if (b === 0x7d || b === 0x5d) {
      depth--
      if (depth === 0) return i + 1
    }
    i++
  }
  return -1
}

/** Whether `key` is at `at` in `body` (short keys: a loop beats a call into C++). */
function sameBytes(body: Buffer, at: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i++) if (body[at + i] !== key[i]) return false
  return true
}

/**
 * Where the values of `keys` sit at the top level of a JSON object body: [start, end) per key
 * in `found` (-1 when absent; the first occurrence counts). A scan, not a parse: keys are
 * compared in place, strings stepped over with a native byte search, nested values by bracket
 * depth, so nothing is allocated. With `whole` the scan goes on to the closing brace (a body
 * cut short or out of shape gives false, as a parse would fail); without, it stops once every
 * key was found. Only the values asked for are then decoded, by the caller.
 */
function locateTopLevel(body: Buffer, keys: readonly Buffer[], found: number[], whole: boolean): boolean {
  found.fill(-1)
  let missing = keys.length
  let i = skipSpace(body, 0)
  if (body[i] !== 0x7b) return false
  i = skipSpace(body, i + 1)
  if (body[i] === 0x7d) return skipSpace(body, i + 1) === body.length || !whole
  while (body[i] === QUOTE) {
    const keyEnd = skipString(body, i)
    if (keyEnd === -1) return false
    let k = -1
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!
      if (found[2 * j] === -1 && keyEnd - i - 2 === key.length && sameBytes(body, i + 1, key)) k = j
    }
    i = skipSpace(body, keyEnd)
    if (body[i] !== 0x3a) return false
    i = skipSpace(body, i + 1)
    const start = i
    i = skipValue(body, i)
    if (i === -1 || i === start) return false
    if (k !== -1) {
      found[2 * k] = start
      found[2 * k + 1] = i
      if (--missing === 0 && !whole) return true
    }
    i = skipSpace(body, i)
    if (body[i] === 0x7d) return !whole || skipSpace(body, i + 1) === body.length
    if (body[i] !== 0x2c) return false
    i = skipSpace(body, i + 1)
  }
  return false
}

/**
 * The `usage` object when it is the last member of a JSON object body, else undefined. The last
 * `"usage"` key is found by a reverse byte search and everything from its colon to the body's
 * final brace must parse as one object: then that brace closes the object holding the key, which
 * is the top-level one (a nested `usage` would be followed by more closing brackets, and inside a
 * string the quotes would be escaped). Only those bytes are parsed, as the whole body's parse
 * would read them (a repeated key: the last counts there too). The bytes before the key are not
 * checked: a body out of shape there still gives its usage (a full parse would give nothing).
 */
function trailingUsage(body: Buffer): Record<string, unknown> | undefined {
  let end = body.length - 1
  while (isJsonSpace(body[end])) end--
  if (body[end] !== 0x7d || body[skipSpace(body, 0)] !== 0x7b) return undefined
  const key = body.lastIndexOf(USAGE_KEY, end)
  if (key === -1) return undefined
  const colon = skipSpace(body, key + USAGE_KEY.length)
  if (body[colon] !== 0x3a || body[skipSpace(body, colon + 1)] !== 0x7b) return undefined
  try {
    const usage: unknown = JSON.parse(body.toString('utf8', colon + 1, end))
    return usage !== null && typeof usage === 'object' && !Array.isArray(usage) ? (usage as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The JSON string at [start, end), or undefined when it is not a non-empty string. */
function stringAt(body: Buffer, start: number, end: number): string | undefined {
  if (start === -1 || body[start] !== QUOTE) return undefined
  const slash = body.indexOf(BACKSLASH, start)
  let value: unknown
  try {
    // Escapes are rare in a model name: only then is the string parsed as JSON.
    value = slash !== -1 && slash < end ? JSON.parse(body.toString('utf8', start, end)) : body.toString('utf8', start + 1, end - 1)
  } catch {
    return undefined
  }
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The `model` an OpenAI-style JSON request body asks for, if any: the top-level `"model"`
 * string, found by `locateTopLevel` without reading past it, so a chat request costs a few
 * comparisons and no allocation but the model's string. With the key repeated the first counts.
 */
export function requestModelOf(body: Buffer | null | undefined): string | undefined {
  if (!body || body.length === 0 || body.length > MAX_REQUEST_JSON) return undefined
  const at = [-1, -1]
  if (!locateTopLevel(body, MODEL_ONLY, at, false)) return undefined
  return stringAt(body, at[0]!, at[1]!)
}

export function isAiUsage(v: unknown): v is AiUsage {
  return typeof v === 'object' && v !== null && typeof (v as AiUsage).model === 'string' && typeof (v as AiUsage).bodyMs === 'number'
}
