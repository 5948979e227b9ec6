// Extension fields of AI-aware balancing, held to Kong's own conventions: upstream `ai`
// (signals, default_cooldown, max_cooldown, token_reservation) and `slow_start`, the
// `lowest-usage` algorithm, target `rpm`/`tpm`; every encoding, Kong error bodies, defaults on
// GET, dotted form keys for the record, and Kong's own algorithm message unchanged.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FMJ, type Json } from './client.js'
import { createTarget, createUpstream, expectStatus, expectViolation, inEach, UPSTREAM_DEFAULTS } from './fixtures.js'
import type { AdminHarness } from './harness.js'

export function runAiExtensionCases(h: AdminHarness): void {
  test('upstream ai settings and slow_start: defaults, every encoding, dotted keys', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const created = expectStatus(await h.client.post('/upstreams', { name: 'ai.test' }, enc), 201)
      assert.deepEqual(created.ai, UPSTREAM_DEFAULTS.ai)
      assert.equal(created.slow_start, 0)
      const body = { ai: { signals: false, default_cooldown: 2.5, max_cooldown: 60, token_reservation: 100 }, slow_start: 30 }
      const patched = expectStatus(await h.client.patch('/upstreams/ai.test', body, enc), 200)
      assert.deepEqual(patched.ai, body.ai)
      assert.equal(patched.slow_start, 30)
      assert.deepEqual(expectStatus(await h.client.get('/upstreams/ai.test'), 200).ai, body.ai)
      expectStatus(await h.client.delete('/upstreams/ai.test'), 204)
    })
    // A dotted key changes one leaf and keeps the others.
    await createUpstream(h.client, 'dotted.test')
    const r = await h.client.form('PATCH', '/upstreams/dotted.test', 'ai.default_cooldown=9&ai.signals=false')
    assert.deepEqual(expectStatus(r, 200).ai, { ...UPSTREAM_DEFAULTS.ai, default_cooldown: 9, signals: false })
  })

  test('upstream ai settings out of range are Kong field errors', async () => {
    const cases: { input: Json; fields: Json }[] = [
      { input: { ai: { default_cooldown: -1 } }, fields: { ai: { default_cooldown: 'value should be between 0 and 86400' } } },
      { input: { ai: { max_cooldown: 86401 } }, fields: { ai: { max_cooldown: 'value should be between 0 and 86400' } } },
      { input: { ai: { token_reservation: 1.5 } }, fields: { ai: { token_reservation: 'expected an integer' } } },
      { input: { ai: { signals: 'yes' } }, fields: { ai: { signals: 'expected a boolean' } } },
      { input: { ai: { nope: 1 } }, fields: { ai: { nope: 'unknown field' } } },
      { input: { ai: 'on' }, fields: { ai: 'expected a record' } },
      { input: { slow_start: -1 }, fields: { slow_start: 'value should be between 0 and 3600' } },
      { input: { slow_start: 'soon' }, fields: { slow_start: 'expected a number' } },
    ]
    for (const c of cases) expectViolation(await h.client.post('/upstreams', { name: 'bad.test', ...c.input }), c.fields)
    expectViolation(await h.client.form('POST', '/upstreams', 'name=bad.test&ai.signals=maybe'), { ai: { signals: 'expected a boolean' } })
  })

  test('algorithm lowest-usage is accepted, clears hash_on, and Kong\'s message stays Kong\'s', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      const u = expectStatus(await h.client.post('/upstreams', { name: 'lu.test', algorithm: 'lowest-usage', hash_on: 'ip' }, enc), 201)
      assert.deepEqual([u.algorithm, u.hash_on], ['lowest-usage', 'none'])
      expectStatus(await h.client.delete('/upstreams/lu.test'), 204)
    })
    expectViolation(await h.client.post('/upstreams', { name: 'x.test', algorithm: 'fastest' }), {
      algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency',
    })
    const schema = expectStatus(await h.client.get('/schemas/upstreams'), 200)
    const field = schema.fields.find((f: Json) => 'algorithm' in f).algorithm
    assert.ok(field.one_of.includes('lowest-usage'))
  })

  test('target rpm and tpm: null by default, settable in every encoding, updated by POST', async (t) => {
    await inEach(t, FMJ, async (enc) => {
      await createUpstream(h.client, 'budget.test')
      const path = '/upstreams/budget.test/targets'
      const plain = expectStatus(await h.client.post(path, { target: 'a.test:80' }, enc), 201)
      assert.deepEqual([plain.rpm, plain.tpm], [null, null])
      const limited = expectStatus(await h.client.post(path, { target: 'b.test:80', rpm: 60, tpm: 1000 }, enc), 201)
      assert.deepEqual([limited.rpm, limited.tpm], [60, 1000])
      // The POST-updates-an-existing-target extension carries the budgets too.
      const updated = expectStatus(await h.client.post(path, { target: 'a.test:80', tpm: 500 }, enc), 200)
      assert.deepEqual([updated.rpm, updated.tpm], [null, 500])
      const cleared = expectStatus(await h.client.patch(`${path}/b.test:80`, { rpm: null }, 'J'), 200)
      assert.deepEqual([cleared.rpm, cleared.tpm], [null, 1000])
      expectStatus(await h.client.delete('/upstreams/budget.test'), 204)
    })
  })

  test('target rpm and tpm out of range are Kong field errors', async () => {
    await createUpstream(h.client, 'budget.test')
    const cases: { input: Json; fields: Json }[] = [
      { input: { rpm: 0 }, fields: { rpm: 'value should be between 1 and 2147483647' } },
      { input: { tpm: -5 }, fields: { tpm: 'value should be between 1 and 2147483647' } },
      { input: { tpm: 2147483648 }, fields: { tpm: 'value should be between 1 and 2147483647' } },
      { input: { rpm: 1.5 }, fields: { rpm: 'expected an integer' } },
      { input: { tpm: 'lots' }, fields: { tpm: 'expected an integer' } },
    ]
    for (const c of cases) {
      expectViolation(await h.client.post('/upstreams/budget.test/targets', { target: 'a.test:80', ...c.input }), c.fields)
    }
    expectViolation(await h.client.form('POST', '/upstreams/budget.test/targets', 'target=a.test:80&tpm=many'), { tpm: 'expected an integer' })
    await createTarget(h.client, 'budget.test', 'ok.test:80', { tpm: 10 })
  })
}
