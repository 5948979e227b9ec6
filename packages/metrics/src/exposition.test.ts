import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CONTENT_TYPE, escapeLabelValue, formatNumber, renderFamilies } from './exposition.js'

test('content type is Kong\'s', () => {
  assert.equal(CONTENT_TYPE, 'text/plain; charset=UTF-8')
})

test('label values: backslash and quote escaped, newline kept, cut at invalid UTF-8', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['line\nbreak', 'line\nbreak'],
    ['ok\uD800rest', 'ok'],
    ['pair\uD83D\uDE00ok', 'pair\uD83D\uDE00ok'],
    ['\uDC00x', ''],
  ]
  for (const [input, want] of cases) assert.equal(escapeLabelValue(input), want, JSON.stringify(input))
})

test('numbers print trimmed; infinities as +Inf/-Inf', () => {
  assert.equal(formatNumber(7), '7')
  assert.equal(formatNumber(0.5), '0.5')
  assert.equal(formatNumber(Infinity), '+Inf')
  assert.equal(formatNumber(-Infinity), '-Inf')
})

test('families sorted by name, series by key with buckets in numeric order, le last', () => {
  const text = renderFamilies([
    {
      name: 'kong_z',
      help: 'z',
      type: 'histogram',
      series: [
        { name: 'kong_z_sum', labels: [['route', 'r']], value: 12 },
        { name: 'kong_z_bucket', labels: [['route', 'r'], ['le', '+Inf']], value: 2 },
        { name: 'kong_z_bucket', labels: [['route', 'r'], ['le', '100']], value: 2 },
        { name: 'kong_z_bucket', labels: [['route', 'r'], ['le', '7']], value: 1 },
        { name: 'kong_z_count', labels: [['route', 'r']], value: 2 },
      ],
    },
    { name: 'kong_a', help: 'a', type: 'gauge', series: [{ name: 'kong_a', labels: [], value: 1 }] },
    { name: 'kong_empty', help: 'nothing', type: 'counter', series: [] },
  ])
  assert.equal(
    text,
    [
      '# HELP kong_a a',
      '# TYPE kong_a gauge',
      'kong_a 1',
      '# HELP kong_z z',
      '# TYPE kong_z histogram',
      'kong_z_bucket{route="r",le="7"} 1',
      'kong_z_bucket{route="r",le="100"} 2',
      'kong_z_bucket{route="r",le="+Inf"} 2',
      'kong_z_count{route="r"} 2',
      'kong_z_sum{route="r"} 12',
      '',
    ].join('\n')
  )
})
