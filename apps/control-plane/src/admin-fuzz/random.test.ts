import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Random } from './random.js'

test('the same seed gives the same sequence; values stay in range', () => {
  const a = new Random(42)
  const b = new Random(42)
  const c = new Random(43)
  const sa = Array.from({ length: 100 }, () => a.next())
  assert.deepEqual(sa, Array.from({ length: 100 }, () => b.next()))
  assert.notDeepEqual(sa, Array.from({ length: 100 }, () => c.next()))
  for (const v of sa) assert.ok(v >= 0 && v < 1)
  const r = new Random(7)
  const counts = [0, 0, 0]
  for (let i = 0; i < 3000; i++) counts[r.int(3)]!++
  for (const n of counts) assert.ok(n > 800 && n < 1200, `uneven: ${counts}`)
})
