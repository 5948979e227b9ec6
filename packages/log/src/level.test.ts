import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseLogLevel } from './level.js'

test('Kong log levels map onto ours', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'info'],
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['notice', 'info'],
    ['crit', 'fatal'],
    ['emerg', 'fatal'],
    ['nonsense', 'info'],
  ]
  for (const [v, expected] of cases) assert.equal(parseLogLevel(v), expected, String(v))
})
