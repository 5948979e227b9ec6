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
