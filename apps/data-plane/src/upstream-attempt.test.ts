import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UpstreamAttempt, type AttemptSink } from './upstream-attempt.js'

function recordingSink(accept = true): AttemptSink & { got: string[]; ended: boolean; err: unknown } {
  const s = {
    got: [] as string[],
    ended: false,
    err: undefined as unknown,
    data: (c: Buffer) => (s.got.push(c.toString()), accept),
    end: () => void (s.ended = true),
    error: (e: unknown) => void (s.err = e),
  }
  return s
}

test('the head resolves with the response headers; 1xx answers are skipped', async () => {
  const a = new UpstreamAttempt()
  a.onConnect(() => {})
  a.onHeaders(100, {}, () => {})
  a.onHeaders(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }, () => {})
  const head = await a.head
  assert.equal(head.status, 200)
  assert.deepEqual(head.headers, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })
})

test('an error before the head rejects it', async () => {
  const a = new UpstreamAttempt()
  a.onError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
  await assert.rejects(a.head, /refused/)
})

test('waitStart resolves at the first chunk; what came before the commit goes out first', async () => {
  const a = new UpstreamAttempt()
  a.onHeaders(200, {}, () => {})
  const waiting = a.waitStart(false)
  assert.equal(a.onData(Buffer.from('one')), true)
  await waiting
  a.onData(Buffer.from('two'))
  const sink = recordingSink()
  a.commit(sink)
  a.onData(Buffer.from('three'))
  a.onComplete()
  assert.deepEqual(sink.got, ['one', 'two', 'three'])
  assert.equal(sink.ended, true)
})

test('an end or error before the commit is delivered by the commit', () => {
  const ended = new UpstreamAttempt()
  ended.onHeaders(200, {}, () => {})
  ended.onData(Buffer.from('all'))
  ended.onComplete()
  const s1 = recordingSink()
  ended.commit(s1)
  assert.deepEqual(s1.got, ['all'])
  assert.equal(s1.ended, true)

  const failed = new UpstreamAttempt()
  failed.onHeaders(200, {}, () => {})
  failed.onError(new Error('reset'))
  assert.equal(failed.error instanceof Error, true)
  const s2 = recordingSink()
  failed.commit(s2)
  assert.equal((s2.err as Error).message, 'reset')
})

test('untilEnd waits for the whole small body and pauses past the cap', async () => {
  const a = new UpstreamAttempt()
  let resumed = 0
  a.onHeaders(429, {}, () => resumed++)
  let done = false
  const waiting = a.waitStart(true, 4).then(() => (done = true))
  a.onData(Buffer.from('ab'))
  await Promise.resolve()
  assert.equal(done, false)
  assert.equal(a.onData(Buffer.from('cde')), false, 'past the cap the upstream is paused')
  await waiting
  a.commit(recordingSink())
  assert.equal(resumed, 1, 'the commit resumes a paused upstream')
})

test('a sink that is full pauses the upstream until resume; discard drains; abort reaches the connection', () => {
  const a = new UpstreamAttempt()
  let resumed = 0
  a.onHeaders(200, {}, () => resumed++)
  const sink = recordingSink(false)
  a.commit(sink)
  assert.equal(a.onData(Buffer.from('x')), false)
  a.resume()
  assert.equal(resumed, 1)

  const d = new UpstreamAttempt()
  d.onHeaders(502, {}, () => {})
  d.discard()
  assert.equal(d.onData(Buffer.alloc(100_000)), true)

  const late = new UpstreamAttempt()
  let aborted = 0
  late.abort()
  late.onConnect(() => aborted++)
  assert.equal(aborted, 1, 'an abort before the connection is applied at connect')
})
