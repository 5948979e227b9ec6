// UTC calendar windows and reset seconds, table-driven with fixed instants.

import { PERIODS as ENTITY_PERIODS } from '@switchyard/entities'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NOMINAL_SECONDS, PERIODS, resetSeconds, windowOf, type Period } from './windows.js'

const at = (iso: string) => Date.parse(iso)

describe('windowOf', () => {
  const cases: { name: string; period: Period; now: string; start: string; end: string }[] = [
    { name: 'second, mid-second', period: 'second', now: '2024-07-01T12:01:00.500Z', start: '2024-07-01T12:01:00.000Z', end: '2024-07-01T12:01:01.000Z' },
    { name: 'minute, Kong reference instant', period: 'minute', now: '2024-07-01T12:01:00.000Z', start: '2024-07-01T12:01:00.000Z', end: '2024-07-01T12:02:00.000Z' },
    { name: 'minute, last ms belongs to the old window', period: 'minute', now: '2024-07-01T12:00:59.999Z', start: '2024-07-01T12:00:00.000Z', end: '2024-07-01T12:01:00.000Z' },
    { name: 'hour', period: 'hour', now: '2024-07-01T12:59:59.999Z', start: '2024-07-01T12:00:00.000Z', end: '2024-07-01T13:00:00.000Z' },
    { name: 'day is a UTC day', period: 'day', now: '2024-07-01T23:30:00.000Z', start: '2024-07-01T00:00:00.000Z', end: '2024-07-02T00:00:00.000Z' },
    { name: 'month starts on the 1st', period: 'month', now: '2024-07-17T08:00:00.000Z', start: '2024-07-01T00:00:00.000Z', end: '2024-08-01T00:00:00.000Z' },
    { name: 'leap February has 29 days', period: 'month', now: '2024-02-29T23:59:59.999Z', start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' },
    { name: 'common February has 28 days', period: 'month', now: '2023-02-28T12:00:00.000Z', start: '2023-02-01T00:00:00.000Z', end: '2023-03-01T00:00:00.000Z' },
    { name: 'December ends at the new year', period: 'month', now: '2024-12-31T23:59:59.000Z', start: '2024-12-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' },
    { name: 'year starts January 1st', period: 'year', now: '2024-07-01T12:01:00.000Z', start: '2024-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' },
    { name: 'year boundary', period: 'year', now: '2025-01-01T00:00:00.000Z', start: '2025-01-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' },
  ]
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(windowOf(c.period, at(c.now)), { start: at(c.start), end: at(c.end) })
    })
  }

  test('the reference key instant: 1719835260000 starts a minute', () => {
    assert.equal(windowOf('minute', 1719835260000).start, 1719835260000)
    assert.equal(windowOf('minute', 1719835260000 + 59_999).start, 1719835260000)
  })

  test('fixed windows are as long as Kong says; calendar windows as long as the calendar says', () => {
    const now = at('2024-07-10T10:10:10.010Z')
    for (const p of ['second', 'minute', 'hour', 'day'] as const) {
      const w = windowOf(p, now)
      assert.equal(w.end - w.start, NOMINAL_SECONDS[p] * 1000, p)
    }
    assert.equal(windowOf('month', now).end - windowOf('month', now).start, 31 * 86_400_000, 'July')
    assert.equal(windowOf('year', now).end - windowOf('year', now).start, 366 * 86_400_000, '2024 is a leap year')
  })

  test('periods agree with the entity schema', () => {
    assert.deepEqual([...PERIODS], [...ENTITY_PERIODS])
  })
})

describe('resetSeconds', () => {
  const cases: { name: string; period: Period; now: string; expected: number }[] = [
    { name: 'start of a minute: the whole minute', period: 'minute', now: '2024-07-01T12:01:00.000Z', expected: 60 },
    { name: 'half a second in: still 60 (Kong floors elapsed seconds)', period: 'minute', now: '2024-07-01T12:01:00.500Z', expected: 60 },
    { name: 'one second in', period: 'minute', now: '2024-07-01T12:01:01.000Z', expected: 59 },
    { name: 'last ms of a minute: at least 1', period: 'minute', now: '2024-07-01T12:01:59.999Z', expected: 1 },
    { name: 'second windows always say 1', period: 'second', now: '2024-07-01T12:01:00.999Z', expected: 1 },
    { name: 'hour', period: 'hour', now: '2024-07-01T12:30:00.000Z', expected: 1800 },
    { name: '31st of a 31-day month: a full day left (Kong’s 30-day month would say 1)', period: 'month', now: '2024-07-31T00:00:00.000Z', expected: 86_400 },
    { name: 'Dec 31st of a leap year: a full day left', period: 'year', now: '2024-12-31T00:00:00.000Z', expected: 86_400 },
  ]
  for (const c of cases) {
    test(c.name, () => {
      const now = at(c.now)
      assert.equal(resetSeconds(windowOf(c.period, now), now), c.expected)
    })
  }

  test("fixed windows: identical to Kong's max(1, length − floor(elapsed s))", () => {
    let seed = 42
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 2000; i++) {
      const now = Math.floor(1_700_000_000_000 + rand() * 1e10)
      for (const p of ['second', 'minute', 'hour', 'day'] as const) {
        const w = windowOf(p, now)
        const kong = Math.max(1, NOMINAL_SECONDS[p] - Math.floor((now - w.start) / 1000))
        assert.equal(resetSeconds(w, now), kong, `${p} at ${now}`)
      }
    }
  })
})
