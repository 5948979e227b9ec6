// The url-encoded body splitter: ordered pairs, `+` as space, lenient percent-decoding.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUrlEncoded } from './body.js'

test('parseUrlEncoded keeps order, repeats and odd input', () => {
  const cases: [string, [string, string][]][] = [
    ['', []],
    ['a=1&b=2', [['a', '1'], ['b', '2']]],
    ['a=1&a=2', [['a', '1'], ['a', '2']]],
    ['a+b=c+d', [['a b', 'c d']]],
    ['k=%2F%20%E5%86%86', [['k', '/ 円']]],
    ['flag', [['flag', '']]],
    ['a=&&=b', [['a', ''], ['', 'b']]],
    ['x=1=2', [['x', '1=2']]],
    // Bad escapes are kept as typed instead of failing the whole body.
    ['bad=%zz&ok=1', [['bad', '%zz'], ['ok', '1']]],
    ['paths[]=/v1', [['paths[]', '/v1']]],
  ]
  for (const [text, pairs] of cases) assert.deepEqual(parseUrlEncoded(text), pairs, text)
})

test('nestsDeeperThan counts brackets outside strings only', async () => {
  const { nestsDeeperThan } = await import('./body.js')
  const cases: [string, number, boolean][] = [
    ['{}', 1, false],
    ['{"a":[1]}', 1, true],
    ['{"a":[1]}', 2, false],
    ['{"a":"[[[[[["}', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['[[[]]]', 3, false],
    ['[[[[]]]]', 3, true],
    ['[]'.repeat(5000), 1, false],
    ['['.repeat(1001), 1000, true],
  ]
  for (const [text, max, deeper] of cases) assert.equal(nestsDeeperThan(text, max), deeper, `${text.slice(0, 20)} ${max}`)
})
