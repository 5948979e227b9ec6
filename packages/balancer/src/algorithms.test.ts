import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ALGORITHM_NAMES, createAlgorithm, isAlgorithmName } from './algorithms.js'

const OPTIONS = { now: () => 0, random: () => 0, slots: 10_000 }

test('registry holds exactly Kong algorithm strings and our extension, each creating its own algorithm', () => {
  assert.deepEqual(
    [...ALGORITHM_NAMES],
    ['round-robin', 'least-connections', 'consistent-hashing', 'latency', 'lowest-usage'],
  )
  for (const name of ALGORITHM_NAMES) assert.equal(createAlgorithm(name, OPTIONS).name, name)
})

test('unknown names are rejected', () => {
  for (const name of ['roundrobin', 'sticky-sessions', '', 'toString']) {
    assert.equal(isAlgorithmName(name), false, name)
    assert.throws(() => createAlgorithm(name, OPTIONS), RangeError, name)
  }
})
