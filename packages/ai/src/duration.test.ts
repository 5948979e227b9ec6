import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MAX_HINT_MS, parseDuration, parseRetryAfter, parseRfc3339Wait } from './duration.js'

const NOW = Date.parse('2026-11-30T12:00:00Z')

test('Go and protobuf durations', () => {
  const cases: [string, number | undefined][] = [
    ['20ms', 20],
    ['1s', 1000],
    ['2.5s', 2500],
    ['.5s', 500],
    ['6m0s', 360_000],
    ['1h2m3s', 3_723_000],
    ['1h2m3.5s', 3_723_500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['0', 0],
    ['0s', 0],
    [' 1s ', 1000],
    ['1m30s', 90_000],
    ['100us', 0.1],
    // malformed: ignored, never thrown
    ['', undefined],
    ['s', undefined],
    ['1', undefined],
    ['-1s', undefined],
    ['1x', undefined],
    ['1s2', undefined],
    ['abc', undefined],
    ['1..5s', undefined],
    ['NaNs', undefined],
    ['Infinitys', undefined],
    ['1e3s', undefined],
    ['25h', undefined],
    ['9'.repeat(400) + 's', undefined],
  ]
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text)
})

test('Retry-After: delta-seconds and HTTP-date', () => {
  const cases: [string, number | undefined][] = [
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['120', 120_000],
    ['Mon, 30 Nov 2026 12:00:30 GMT', 30_000],
    ['Monday, 30-Nov-26 12:00:30 GMT', 30_000],
    ['Mon Nov 30 12:00:30 2026', 30_000],
    ['Mon Nov 30 12:00:30', undefined],
    ['Mon, 30 Nov 2026 11:59:00 GMT', 0],
    ['', undefined],
    ['-1', undefined],
    ['soon', undefined],
    ['2 seconds', undefined],
    ['Mon, 99 Nov 2026 12:00:30 GMT', undefined],
    [String(MAX_HINT_MS), undefined],
  ]
  for (const [text, ms] of cases) assert.equal(parseRetryAfter(text, NOW), ms, text)
})

test('RFC 3339 resets', () => {
  const cases: [string, number | undefined][] = [
    ['2026-11-30T12:00:30Z', 30_000],
    ['2026-11-30T12:00:30.250Z', 30_250],
    ['2026-11-30T13:00:30+01:00', 30_000],
    ['2026-11-30T11:00:00Z', 0],
    ['2026-11-30 12:00:30Z', 30_000],
    ['2026-11-30', undefined],
    ['30s', undefined],
    ['2026-13-45T99:00:00Z', undefined],
    ['2027-11-30T12:00:30Z', undefined],
  ]
  for (const [text, ms] of cases) assert.equal(parseRfc3339Wait(text, NOW), ms, text)
})
