import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hasRateLimitHeaders, readSignals, retryDelayOf, type ProviderSignals } from './signals.js'

const NOW = Date.parse('2026-11-30T12:00:00Z')

const GEMINI_429 = JSON.stringify({
  error: {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message: 'Quota exceeded',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' },
    ],
  },
})

test('each provider form', () => {
  const cases: [string, Record<string, string | string[]>, string | undefined, ProviderSignals][] = [
    ['Retry-After seconds', { 'retry-after': '2' }, undefined, { wait: { ms: 2000, source: 'retry-after' } }],
    ['Retry-After date', { 'retry-after': 'Mon, 30 Nov 2026 12:00:07 GMT' }, undefined, { wait: { ms: 7000, source: 'retry-after' } }],
    ['Azure retry-after-ms wins', { 'retry-after-ms': '1500', 'retry-after': '2' }, undefined, { wait: { ms: 1500, source: 'retry-after-ms' } }],
    ['repeated header: first value', { 'retry-after': ['3', '9'] }, undefined, { wait: { ms: 3000, source: 'retry-after' } }],
    ['Gemini retryDelay in the body', { 'content-type': 'application/json' }, GEMINI_429, { wait: { ms: 30_000, source: 'retry-delay' } }],
    [
      'OpenAI requests window used up',
      {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-limit-tokens': '150000',
        'x-ratelimit-remaining-tokens': '149984',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      undefined,
      { depleted: { ms: 1000, source: 'x-ratelimit-reset' }, remaining: { share: 0, resetMs: 1000, requests: 0, tokens: 149984 } },
    ],
    [
      'OpenAI tokens window used up, reset matches the tokens window',
      {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '30',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '20ms',
      },
      undefined,
      { depleted: { ms: 20, source: 'x-ratelimit-reset' }, remaining: { share: 0, resetMs: 20, requests: 30, tokens: 0 } },
    ],
    [
      'OpenAI remaining share: the least of both windows',
      {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '25',
        'x-ratelimit-reset-requests': '30s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '500',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      undefined,
      { remaining: { share: 0.25, resetMs: 30_000, requests: 25, tokens: 500 } },
    ],
    [
      'Anthropic: RFC 3339 resets, input-token window',
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '40',
        'anthropic-ratelimit-requests-reset': '2026-11-30T12:00:30Z',
        'anthropic-ratelimit-input-tokens-limit': '1000',
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-30T12:00:10Z',
        'retry-after': '10',
      },
      undefined,
      {
        wait: { ms: 10_000, source: 'retry-after' },
        depleted: { ms: 10_000, source: 'anthropic-ratelimit-reset' },
        remaining: { share: 0, resetMs: 10_000, requests: 40, tokens: 0 },
      },
    ],
    ['no headers at all', {}, undefined, {}],
    // malformed values are ignored one by one
    ['Retry-After garbage', { 'retry-after': 'soon' }, undefined, {}],
    ['negative remaining', { 'x-ratelimit-remaining-requests': '-1', 'x-ratelimit-reset-requests': '1s' }, undefined, {}],
    ['bad reset', { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': 'later' }, undefined, {}],
    ['remaining without limit: depleted only', { 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '2s' }, undefined, { depleted: { ms: 2000, source: 'x-ratelimit-reset' } }],
    ['zero limit', { 'x-ratelimit-limit-requests': '0', 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '1s' }, undefined, {}],
    ['body not JSON', {}, '<html>rate limited</html> retryDelay', {}],
    ['retryDelay malformed', {}, '{"error":{"details":[{"retryDelay":"soon"}]}}', {}],
    ['retryDelay not a string', {}, '{"error":{"details":[{"retryDelay":30}]}}', {}],
    ['details not an array', {}, '{"error":{"details":{"retryDelay":"3s"}}}', {}],
    ['null body JSON', {}, 'null', {}],
    ['empty retry-after', { 'retry-after': '' }, undefined, {}],
  ]
  for (const [name, headers, body, expected] of cases) {
    assert.deepEqual(readSignals(headers, body, NOW), expected, name)
  }
})

test('retryDelayOf reads arrays of errors', () => {
  assert.equal(retryDelayOf(`[${GEMINI_429}]`), 30_000)
  assert.equal(retryDelayOf('{"error":{"details":[{"retryDelay":"1.5s"}]}}'), 1500)
  assert.equal(retryDelayOf('{}'), undefined)
})

test('hasRateLimitHeaders screens cheaply and exactly', () => {
  assert.equal(hasRateLimitHeaders({ 'content-type': 'application/json', 'x-request-id': '1' }), false)
  assert.equal(hasRateLimitHeaders({ 'x-ratelimit-remaining-tokens': '5' }), true)
  assert.equal(hasRateLimitHeaders({ 'anthropic-ratelimit-requests-limit': '5' }), true)
  assert.equal(hasRateLimitHeaders({ 'retry-after': '5' }), true)
  assert.equal(hasRateLimitHeaders({ 'retry-after-ms': '5' }), true)
  assert.equal(hasRateLimitHeaders({ accept: '*/*', 'x-ratelimiter': '1' }), false)
})
