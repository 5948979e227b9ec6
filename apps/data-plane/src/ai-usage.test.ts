import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAiUsageTap, isAiUsage, MAX_JSON_BODY, requestModelOf, type AiUsage } from './ai-usage.js'

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
  const noAsk = createAiUsageTap(JSON_TYPE, undefined)!
  noAsk.write(Buffer.from(completion))
  assert.equal((noAsk.end() as AiUsage).model, 'gpt-4o-mini')
})
