import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { SeriesCounter, SeriesHistogram } from './request-series.js'

test('counter: one series per label set, rejects wrong arity and bad increments', async () => {
  const registry = new Registry()
  const c = new SeriesCounter('x_total', 'x', ['a', 'b'], registry)
  c.inc(['1', '2'])
  c.inc(['1', '2'], 4)
  c.inc(['1', '3'])
  assert.throws(() => c.inc(['1']), RangeError)
  assert.throws(() => c.inc(['1', '2'], -1), RangeError)
  assert.throws(() => c.inc(['1', '2'], NaN), RangeError)
  const [json] = await registry.getMetricsAsJSON()
  assert.deepEqual(json!.values, [
    { labels: { a: '1', b: '2' }, value: 5 },
    { labels: { a: '1', b: '3' }, value: 1 },
  ])
  c.reset()
  assert.deepEqual((await c.get()).values, [])
})

test('histogram: the same JSON as prom-client\'s own Histogram (boundaries inclusive)', async () => {
  const ours = new Registry()
  const theirs = new Registry()
  const buckets = [1, 2, 5, 7]
  const h = new SeriesHistogram('h_ms', 'h', ['route'], ours, buckets)
  const ref = new Histogram({ name: 'h_ms', help: 'h', labelNames: ['route'], buckets, registers: [theirs] })
  for (const [route, v] of [['a', 0.5], ['a', 1], ['a', 1.01], ['a', 7], ['a', 9000], ['b', 3]] as const) {
    h.observe([route], v)
    ref.observe({ route }, v)
  }
  const norm = (j: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
    j[0]!.values
      .map((v) => ({ name: (v as { metricName?: string }).metricName, labels: Object.entries(v.labels).sort(), value: v.value }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
  assert.deepEqual(norm(await ours.getMetricsAsJSON()), norm(await theirs.getMetricsAsJSON()))
  assert.throws(() => h.observe(['a'], Infinity), RangeError)
})
