import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sniCandidates } from './sni-candidates.js'

test('SNI lookup order: exact, leading wildcard, trailing wildcard, catch-all (table)', () => {
  const cases: [string | undefined, string[]][] = [
    [undefined, []],
    ['', []],
    ['a.example.com', ['a.example.com', '*.example.com', 'a.example.*', '*']],
    ['A.Example.COM', ['a.example.com', '*.example.com', 'a.example.*', '*']],
    ['example.com', ['example.com', 'example.*', '*']],
    ['x.y.z.test', ['x.y.z.test', '*.y.z.test', 'x.y.z.*', '*']],
    ['localhost', ['localhost', '*']],
    ['a..b', ['a..b', '*']],
  ]
  for (const [name, expected] of cases) assert.deepEqual(sniCandidates(name), expected, String(name))
})
