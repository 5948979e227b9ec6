// Header math and blocking, table-driven: Kong's minute=6 trace, several periods, ties,
// hide_client_headers.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decide, type PeriodUsage } from './decision.js'
import { windowOf, type Period } from './windows.js'

const NOW = Date.parse('2024-07-01T12:01:30.250Z')
const u = (period: Period, limit: number, usage: number): PeriodUsage => ({ period, limit, usage, window: windowOf(period, NOW) })

describe('decide', () => {
  test("Kong's trace, minute=6: remaining 5,4,3,2,1,0 then a block showing 0", () => {
    const seen = []
    for (let usage = 0; usage <= 6; usage++) {
      const d = decide([u('minute', 6, usage)], NOW, false)
      seen.push({ blocked: d.blocked, remaining: d.headers['RateLimit-Remaining'], retry: d.headers['Retry-After'] })
      assert.equal(d.headers['RateLimit-Limit'], '6')
      assert.equal(d.headers['X-RateLimit-Limit-Minute'], '6')
      assert.equal(d.headers['X-RateLimit-Remaining-Minute'], d.headers['RateLimit-Remaining'])
      assert.equal(d.headers['RateLimit-Reset'], '30')
    }
    assert.deepEqual(seen, [
      { blocked: undefined, remaining: '5', retry: undefined },
      { blocked: undefined, remaining: '4', retry: undefined },
      { blocked: undefined, remaining: '3', retry: undefined },
      { blocked: undefined, remaining: '2', retry: undefined },
      { blocked: undefined, remaining: '1', retry: undefined },
      { blocked: undefined, remaining: '0', retry: undefined },
      { blocked: 'minute', remaining: '0', retry: '30' },
    ])
  })

  const cases: {
    name: string
    usages: PeriodUsage[]
    hide?: boolean
    blocked: Period | undefined
    headers: Record<string, string>
  }[] = [
    {
      name: 'two periods, the shorter is the most restrictive',
      usages: [u('second', 1, 0), u('minute', 10, 3)],
      blocked: undefined,
      headers: {
        'X-RateLimit-Limit-Second': '1',
        'X-RateLimit-Remaining-Second': '0',
        'X-RateLimit-Limit-Minute': '10',
        'X-RateLimit-Remaining-Minute': '6',
        'RateLimit-Limit': '1',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '1',
      },
    },
    {
      name: 'blocked by the second: the minute is not charged for the blocked request',
      usages: [u('second', 1, 1), u('minute', 10, 3)],
      blocked: 'second',
      headers: {
        'X-RateLimit-Limit-Second': '1',
        'X-RateLimit-Remaining-Second': '0',
        'X-RateLimit-Limit-Minute': '10',
        'X-RateLimit-Remaining-Minute': '7',
        'RateLimit-Limit': '1',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '1',
        'Retry-After': '1',
      },
    },
    {
      name: 'a tie goes to the longer window',
      usages: [u('minute', 5, 4), u('hour', 5, 4)],
      blocked: undefined,
      headers: {
        'X-RateLimit-Limit-Minute': '5',
        'X-RateLimit-Remaining-Minute': '0',
        'X-RateLimit-Limit-Hour': '5',
        'X-RateLimit-Remaining-Hour': '0',
        'RateLimit-Limit': '5',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '3510',
      },
    },
    {
      name: 'blocked by the hour while the minute still has room',
      usages: [u('minute', 100, 10), u('hour', 100, 100)],
      blocked: 'hour',
      headers: {
        'X-RateLimit-Limit-Minute': '100',
        'X-RateLimit-Remaining-Minute': '90',
        'X-RateLimit-Limit-Hour': '100',
        'X-RateLimit-Remaining-Hour': '0',
        'RateLimit-Limit': '100',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '3510',
        'Retry-After': '3510',
      },
    },
    {
      name: 'usage beyond the limit (redis counts blocked requests) never shows negative',
      usages: [u('minute', 3, 9)],
      blocked: 'minute',
      headers: {
        'X-RateLimit-Limit-Minute': '3',
        'X-RateLimit-Remaining-Minute': '0',
        'RateLimit-Limit': '3',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': '30',
        'Retry-After': '30',
      },
    },
    {
      name: 'fractional limits print as numbers',
      usages: [u('minute', 2.5, 0)],
      blocked: undefined,
      headers: {
        'X-RateLimit-Limit-Minute': '2.5',
        'X-RateLimit-Remaining-Minute': '1.5',
        'RateLimit-Limit': '2.5',
        'RateLimit-Remaining': '1.5',
        'RateLimit-Reset': '30',
      },
    },
    {
      name: 'hide_client_headers: nothing, even when blocked',
      usages: [u('minute', 1, 1)],
      hide: true,
      blocked: 'minute',
      headers: {},
    },
    { name: 'no periods: nothing', usages: [], blocked: undefined, headers: {} },
  ]
  for (const c of cases) {
    test(c.name, () => {
      const d = decide(c.usages, NOW, c.hide === true)
      assert.equal(d.blocked, c.blocked)
      assert.deepEqual(d.headers, c.headers)
    })
  }

  test('per-period headers come shortest first', () => {
    const d = decide([u('second', 1, 0), u('minute', 2, 0), u('hour', 3, 0), u('day', 4, 0), u('month', 5, 0), u('year', 6, 0)], NOW, false)
    assert.deepEqual(
      Object.keys(d.headers).filter((h) => h.startsWith('X-RateLimit-Limit-')),
      ['Second', 'Minute', 'Hour', 'Day', 'Month', 'Year'].map((p) => `X-RateLimit-Limit-${p}`)
    )
    assert.equal(d.headers['RateLimit-Limit'], '1')
  })
})
