import assert from 'node:assert/strict'
import { test } from 'node:test'
import { admits, budgetWindow, reservationFor, settledTokens } from './budget.js'

test('windows are UTC minutes', () => {
  const t = Date.parse('2026-11-30T12:34:56.789Z')
  assert.deepEqual(budgetWindow(t), { start: Date.parse('2026-11-30T12:34:00Z'), end: Date.parse('2026-11-30T12:35:00Z') })
  assert.deepEqual(budgetWindow(Date.parse('2026-11-30T12:35:00Z')).start, Date.parse('2026-11-30T12:35:00Z'))
})

test('admission', () => {
  const c = (requests: number, tokens: number, reserved: number) => ({ requests, tokens, reserved })
  const cases: [string, ReturnType<typeof c>, { rpm: number | null; tpm: number | null }, number, boolean][] = [
    ['unlimited', c(1e9, 1e9, 1e9), { rpm: null, tpm: null }, 100, true],
    ['rpm room', c(9, 0, 0), { rpm: 10, tpm: null }, 1, true],
    ['rpm full', c(10, 0, 0), { rpm: 10, tpm: null }, 1, false],
    ['tpm room', c(0, 800, 100), { rpm: null, tpm: 1000 }, 100, true],
    ['tpm would overflow', c(0, 800, 101), { rpm: null, tpm: 1000 }, 100, false],
    ['tpm full', c(0, 1000, 0), { rpm: null, tpm: 1000 }, 1, false],
    ['empty window takes an oversized request', c(0, 0, 0), { rpm: null, tpm: 1000 }, 4096, true],
    ['but only one', c(1, 0, 4096), { rpm: null, tpm: 1000 }, 4096, false],
    ['both limits, rpm binds', c(5, 0, 0), { rpm: 5, tpm: 1000 }, 1, false],
  ]
  for (const [name, counts, limits, est, expected] of cases) assert.equal(admits(counts, limits, est), expected, name)
})

test('reservation estimate from the request body', () => {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v))
  const cases: [string, Buffer | null, number][] = [
    ['OpenAI max_tokens', b({ model: 'm', max_tokens: 100 }), 100],
    ['OpenAI max_completion_tokens wins', b({ max_tokens: 100, max_completion_tokens: 50 }), 50],
    ['Gemini maxOutputTokens', b({ generationConfig: { maxOutputTokens: 77 } }), 77],
    ['none: default', b({ model: 'm' }), 256],
    ['not JSON', Buffer.from('{oops'), 256],
    ['not an object', Buffer.from('[1,2]'), 256],
    ['null', Buffer.from('null'), 256],
    ['zero', b({ max_tokens: 0 }), 256],
    ['negative', b({ max_tokens: -5 }), 256],
    ['fraction', b({ max_tokens: 1.5 }), 256],
    ['string', b({ max_tokens: '100' }), 256],
    ['absurd', b({ max_tokens: 1e12 }), 256],
    ['no body', null, 256],
    ['empty body', Buffer.alloc(0), 256],
  ]
  for (const [name, body, expected] of cases) assert.equal(reservationFor(body, 256), expected, name)
})

test('settled tokens fall back to the reservation', () => {
  assert.equal(settledTokens(120, 256), 120)
  assert.equal(settledTokens(0, 256), 0)
  assert.equal(settledTokens(undefined, 256), 256)
  assert.equal(settledTokens(Number.NaN, 256), 256)
  assert.equal(settledTokens(-1, 256), 256)
})
