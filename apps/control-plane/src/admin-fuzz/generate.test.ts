import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { emptyWorld, formPairs, generateRequest } from './generate.js'
import { Random } from './random.js'
import { answerProblem } from './run.js'

const ENDPOINTS = ['/services', '/services/:service', '/upstreams/:upstream/targets', '/schemas/:entity/validate']

describe('generateRequest', () => {
  it('replays exactly from a seed', () => {
    const run = (seed: number) => {
      const rng = new Random(seed)
      const world = emptyWorld()
      return Array.from({ length: 200 }, () => {
        const r = generateRequest(rng, ENDPOINTS, world)
        return `${r.method} ${r.path} ${r.body?.toString('base64') ?? ''}`
      })
    }
    assert.deepEqual(run(9), run(9))
    assert.notDeepEqual(run(9), run(10))
  })

  it('covers every encoding, random paths and queries, and fills path parameters', () => {
    const rng = new Random(1)
    const world = emptyWorld()
    world.known['services'] = ['svc.test']
    const seen = new Set<string>()
    let filled = 0
    for (let i = 0; i < 2000; i++) {
      const r = generateRequest(rng, ENDPOINTS, world)
      seen.add(r.encoding)
      if (r.randomPath) seen.add('random-path')
      if (r.randomQuery) seen.add('random-query')
      assert.ok(!r.path.includes('/:'), r.path)
      if (r.path.startsWith('/services/svc.test')) filled++
      if (r.body) assert.ok(r.headers['content-type'] !== undefined)
    }
    assert.deepEqual([...seen].sort(), ['form', 'json', 'multipart', 'none', 'random-path', 'random-query'])
    assert.ok(filled > 50)
  })
})

describe('formPairs', () => {
  it('writes records dotted and arrays 1-based, null as empty', () => {
    assert.deepEqual(formPairs({ a: { b: 1 }, c: ['x', 'y'], d: null }), [
      ['a.b', '1'],
      ['c[1]', 'x'],
      ['c[2]', 'y'],
      ['d', ''],
    ])
  })
})

describe('answerProblem', () => {
  const json = 'application/json; charset=utf-8'
  const cases: [string, number, string, string, string | undefined][] = [
    ['GET', 200, json, '{"data":[]}', undefined],
    ['GET', 404, json, '{"message":"Not found"}', undefined],
    ['HEAD', 404, '', '', undefined],
    ['DELETE', 204, '', '', undefined],
    ['GET', 200, 'text/plain', 'kong_nginx_metric 1', undefined],
    ['GET', 500, json, '{"message":"An unexpected error occurred"}', 'status 500'],
    ['GET', 502, json, '{"message":"x"}', 'status 502'],
    ['GET', 400, json, '{"msg":"x"}', 'error body without a string message'],
    ['GET', 400, json, '{"message":', 'invalid JSON body'],
    ['GET', 400, 'text/html', '<h1>Bad</h1>', 'error without a JSON body (text/html)'],
  ]
  for (const [method, status, contentType, text, expected] of cases) {
    it(`${method} ${status} ${text.slice(0, 20)} → ${expected ?? 'fine'}`, () => {
      assert.equal(answerProblem(method, { status, contentType, text }), expected)
    })
  }
})
