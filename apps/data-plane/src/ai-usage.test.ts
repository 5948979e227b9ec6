import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAiUsageTap, isAiUsage, mayCarryUsage, MAX_JSON_BODY, requestModelOf, type AiUsage } from './ai-usage.js'

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const SSE_TYPE = { 'content-type': 'text/event-stream' }

function run(headers: Record<string, string>, chunks: (string | Buffer)[]): Omit<AiUsage, 'bodyMs'> | undefined | 'no tap' {
  const tap = createAiUsageTap(headers)
  if (!tap) return 'no tap'
  for (const c of chunks) tap.write(typeof c === 'string' ? Buffer.from(c) : c)
  const r = tap.end()
  if (r === undefined) return undefined
  assert.ok(isAiUsage(r))
  const { bodyMs, ...rest } = r
  assert.ok(bodyMs >= 0)
  return rest
}

const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'héllo ✓' } }],
  usage: { prompt_tokens: 25, completion_tokens: 7, total_tokens: 32 },
})

const sse = (events: unknown[], eol = '\n') =>
  events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}${eol}${eol}`).join('')

const delta = (content: string, usage: unknown = null) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  model: 'llama-3',
  choices: [{ index: 0, delta: { content } }],
  usage,
})

test('usage from JSON and SSE bodies (table)', () => {
  const stream = sse([delta('a'), delta('b'), { id: 'c', model: 'llama-3', choices: [], usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 } }, '[DONE]'])
  const bytes = Buffer.from(completion)
  const cases: { name: string; headers: Record<string, string>; chunks: (string | Buffer)[]; want: ReturnType<typeof run> }[] = [
    { name: 'json in one chunk', headers: JSON_TYPE, chunks: [completion], want: { model: 'gpt-4o-mini', promptTokens: 25, completionTokens: 7, totalTokens: 32 } },
    {
      name: 'json split inside a multi-byte character',
      headers: JSON_TYPE,
      chunks: [bytes.subarray(0, bytes.indexOf('✓') + 1), bytes.subarray(bytes.indexOf('✓') + 1)],
      want: { model: 'gpt-4o-mini', promptTokens: 25, completionTokens: 7, totalTokens: 32 },
    },
    { name: 'sse: last usage, [DONE] ignored', headers: SSE_TYPE, chunks: [stream], want: { model: 'llama-3', promptTokens: 11, completionTokens: 2, totalTokens: 13 } },
    {
      name: 'sse split at every byte',
      headers: SSE_TYPE,
      chunks: [...Buffer.from(stream)].map((b) => Buffer.from([b])),
      want: { model: 'llama-3', promptTokens: 11, completionTokens: 2, totalTokens: 13 },
    },
    {
      name: 'sse with CRLF line ends and no final blank line',
      headers: SSE_TYPE,
      chunks: [sse([delta('x')], '\r\n') + `data: ${JSON.stringify(delta('', { prompt_tokens: 3, completion_tokens: 4 }))}`],
      want: { model: 'llama-3', promptTokens: 3, completionTokens: 4, totalTokens: 7 },
    },
    {
      name: 'sse: a later usage replaces an earlier one',
      headers: SSE_TYPE,
      chunks: [sse([delta('a', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }), delta('b', { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 }), '[DONE]'])],
      want: { model: 'llama-3', promptTokens: 1, completionTokens: 5, totalTokens: 6 },
    },
    { name: 'sse without usage: model only', headers: SSE_TYPE, chunks: [sse([delta('a'), '[DONE]'])], want: { model: 'llama-3' } },
    {
      name: 'model from the openai-model header when the body has none',
      headers: { ...JSON_TYPE, 'openai-model': 'gpt-x' },
      chunks: [JSON.stringify({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })],
      want: { model: 'gpt-x', promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    },
    { name: 'json without model or usage', headers: JSON_TYPE, chunks: ['{"error":{"message":"bad"}}'], want: undefined },
    { name: 'invalid json', headers: JSON_TYPE, chunks: ['{"model":'], want: undefined },
    { name: 'empty body', headers: JSON_TYPE, chunks: [], want: undefined },
    { name: 'plain text is not tapped', headers: { 'content-type': 'text/plain' }, chunks: [], want: 'no tap' },
    { name: 'compressed bodies are not tapped', headers: { ...JSON_TYPE, 'content-encoding': 'gzip' }, chunks: [], want: 'no tap' },
  ]
  for (const c of cases) assert.deepEqual(run(c.headers, c.chunks), c.want, c.name)
})

test('json bodies over the cap are dropped, not kept', () => {
  const big = Buffer.alloc(MAX_JSON_BODY + 1, 0x20)
  assert.equal(run(JSON_TYPE, [completion.slice(0, 10), big, completion.slice(10)]), undefined)
})

test('the model the request asked for labels the usage, as in Kong; the response model otherwise', () => {
  const asked = requestModelOf(Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [] })))
  assert.equal(asked, 'gpt-4o')
  const tapJson = createAiUsageTap(JSON_TYPE, asked)!
  tapJson.write(Buffer.from(completion))
  assert.equal((tapJson.end() as AiUsage).model, 'gpt-4o')
  const tapSse = createAiUsageTap(SSE_TYPE, asked)!
  tapSse.write(Buffer.from(sse([delta('a', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }), '[DONE]'])))
  const r = tapSse.end() as AiUsage
  assert.equal(r.model, 'gpt-4o')
  assert.equal(r.totalTokens, 2)
  for (const body of [undefined, null, Buffer.from(''), Buffer.from('not json'), Buffer.from('{"model":3}'), Buffer.from('[1]')]) {
    assert.equal(requestModelOf(body), undefined)
  }
  // The top-level key only, found past nested values and strings that mention it.
  const nested = ' { "messages" : [ {"role":"user","content":"say \\"model\\": \\"x\\" {[" } ], "n": 1, "x": null, "tools": {"model": "inner"}, "model" : "m\\u00e9" } '
  assert.equal(requestModelOf(Buffer.from(nested)), JSON.parse(nested).model)
  assert.equal(requestModelOf(Buffer.from('{"a":"\\\\","model":"z"}')), 'z')
  assert.equal(requestModelOf(Buffer.from('{"a":1 "model":"z"}')), undefined)
  assert.equal(requestModelOf(Buffer.from('{"model":""}')), undefined)
  const noAsk = createAiUsageTap(JSON_TYPE, undefined)!
  noAsk.write(Buffer.from(completion))
  assert.equal((noAsk.end() as AiUsage).model, 'gpt-4o-mini')
})

test('sse chunks of whole events are skipped unless they may carry a usage object; the result is the same', () => {
  const usage = { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 }
  const final = Buffer.from(sse([{ id: 'c', model: 'llama-3', choices: [], usage, note: 'héllo ✓' }, '[DONE]']))
  const cut = final.indexOf('✓') + 1
  const cases: { name: string; chunks: (string | Buffer)[] }[] = [
    // OpenAI with stream_options.include_usage: "usage":null on every chunk.
    { name: 'one event per chunk, usage null until the last', chunks: [sse([delta('a')]), sse([delta('b')]), final] },
    { name: 'CRLF events', chunks: [sse([delta('a')], '\r\n'), sse([delta('b')], '\r\n'), final] },
    { name: 'usage event cut inside a character', chunks: [sse([delta('a')]), final.subarray(0, cut), final.subarray(cut)] },
    { name: 'usage event cut right after its key', chunks: [sse([delta('a')]), final.subarray(0, final.indexOf('"usage"') + 7), final.subarray(final.indexOf('"usage"') + 7)] },
    { name: 'an event cut before a chunk that ends an event', chunks: [sse([delta('a')]).slice(0, 20), sse([delta('a')]).slice(20), final] },
  ]
  for (const c of cases) {
    for (const asked of [undefined, 'gpt-4o']) {
      const tap = createAiUsageTap(SSE_TYPE, asked)!
      for (const chunk of c.chunks) tap.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      const r = tap.end() as AiUsage
      assert.deepEqual([r.model, r.promptTokens, r.completionTokens, r.totalTokens], [asked ?? 'llama-3', 4, 5, 9], `${c.name}, asked ${asked}`)
    }
  }
  const table: [string, boolean][] = [
    ['data: {"usage":null}\n\n', false],
    ['data: {"usage" : \n {"total_tokens":1}}\n\n', true],
    ['data: {"content":"usage"}\n\n', false],
    ['data: {"usage":', true],
    ['data: {"usage"', true],
    ['data: {"choices":[]}\n\n', false],
  ]
  for (const [text, want] of table) assert.equal(mayCarryUsage(Buffer.from(text)), want, text)
})

test('json usage is found in place as a full parse would find it (top level only, escapes, odd shapes)', () => {
  const bodies: unknown[] = [
    { usage: { prompt_tokens: 1, total_tokens: 1 }, model: 'first-usage' },
    { id: 'x', choices: [{ message: { content: 'a "usage": {"total_tokens": 99} \\ "model": "no"' }, usage: { total_tokens: 98 }, model: 'nested' }], model: 'top', usage: { completion_tokens: 2 } },
    { model: 'm\u00e9\n"q"', usage: { prompt_tokens: 3, completion_tokens: 4 } },
    { model: '', usage: null, n: [1, 2, { a: [] }], t: true, f: false, z: null, e: 1.5e3 },
    { model: 'only-model' },
    { choices: [{ usage: { total_tokens: 7 } }], usage: { prompt_tokens: 1 }, x: { usage: { total_tokens: 9 } } },
    { usage: { prompt_tokens: 1 }, usage2: 1, a: { b: { usage: { prompt_tokens: 2 } } } },
    {},
    [{ model: 'in-array', usage: { total_tokens: 5 } }],
    'just a string',
  ]
  for (const body of bodies) {
    for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
      const tap = createAiUsageTap(JSON_TYPE)!
      tap.write(Buffer.from(text))
      const got = tap.end() as AiUsage | undefined
      // The reference: the whole body parsed.
      const o = JSON.parse(text) as { model?: unknown; usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } }
      const isObj = typeof o === 'object' && o !== null && !Array.isArray(o)
      const model = isObj && typeof o.model === 'string' && o.model !== '' ? o.model : undefined
      const usage = isObj && o.usage && typeof o.usage === 'object' ? o.usage : undefined
      // With the model known from the request (usage found from the end when it is last).
      const asked = createAiUsageTap(JSON_TYPE, 'asked')!
      asked.write(Buffer.from(text))
      const withModel = asked.end() as AiUsage | undefined
      assert.equal(withModel?.model, 'asked', text)
      assert.equal(withModel?.promptTokens, usage?.prompt_tokens, text)
      assert.equal(withModel?.completionTokens, usage?.completion_tokens, text)
      if (model === undefined && usage === undefined) {
        assert.equal(got, undefined, text)
        continue
      }
      assert.equal(got?.model, model ?? '', text)
      assert.equal(got?.promptTokens, usage?.prompt_tokens, text)
      assert.equal(got?.totalTokens, usage?.total_tokens ?? (usage?.prompt_tokens !== undefined || usage?.completion_tokens !== undefined ? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0) : undefined), text)
    }
  }
  // Out of shape before a trailing usage is seen only by the scan (without a request model).
  for (const broken of ['{"model":"x","usage":{"total_tokens":1}', 'x{"usage":{"total_tokens":1}}', '{"usage":{"total_tokens":1}}}', '{"model":"x" "usage":{}}', '{"model":"x","usage":{"total_tokens":1}} trailing']) {
    for (const asked of broken.includes('" "') ? [undefined] : [undefined, 'asked']) {
      const tap = createAiUsageTap(JSON_TYPE, asked)!
      tap.write(Buffer.from(broken))
      assert.equal(tap.end(), undefined, broken)
    }
  }
})
