// Kong 3.x plugin precedence (lookup_cfg): for one plugin name, the most specific enabled
// instance for the request's route, service and authenticated consumer wins.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigState } from './config-state.js'
import { PluginResolver } from './plugin-resolver.js'
import { snapshotOf } from './test-fixtures.js'

const R = 'route-1'
const S = 'service-1'
const C = 'consumer-1'

function instance(id: string, scope: { route?: string; service?: string; consumer?: string }, enabled = true) {
  const ref = (v: string | undefined) => (v ? { id: v } : null)
  return {
    id,
    name: 'rate-limiting',
    enabled,
    config: {},
    route: ref(scope.route),
    service: ref(scope.service),
    consumer: ref(scope.consumer),
  }
}

const ALL = [
  instance('global', {}),
  instance('service', { service: S }),
  instance('route', { route: R }),
  instance('consumer', { consumer: C }),
  instance('route+service', { route: R, service: S }),
  instance('consumer+service', { consumer: C, service: S }),
  instance('consumer+route', { consumer: C, route: R }),
  instance('consumer+route+service', { consumer: C, route: R, service: S }),
]

// Removing the winner each time walks Kong's order from most to least specific.
const ORDER = ['consumer+route+service', 'consumer+route', 'consumer+service', 'route+service', 'consumer', 'route', 'service', 'global']

test('with a consumer: each level wins over the ones below it', () => {
  for (let i = 0; i < ORDER.length; i++) {
    const present = ALL.filter((p) => !ORDER.slice(0, i).includes(p.id))
    const state = new ConfigState({ now: () => 0, random: Math.random })
    state.loadSnapshot(snapshotOf({ plugins: present }))
    assert.equal(new PluginResolver(state).resolve(R, S, C).get('rate-limiting')?.id, ORDER[i])
  }
})

test('without a consumer, consumer-scoped instances never apply; disabled ones are skipped', () => {
  const state = new ConfigState({ now: () => 0, random: Math.random })
  state.loadSnapshot(snapshotOf({ plugins: [...ALL.filter((p) => !p.id.includes('route+service')), instance('off', { route: R, service: S }, false)] }))
  const resolver = new PluginResolver(state)
  assert.equal(resolver.resolve(R, S).get('rate-limiting')?.id, 'route')
  assert.equal(resolver.resolve(R, S, 'someone-else').get('rate-limiting')?.id, 'route')
  assert.equal(resolver.hasConsumerScoped(), true)
})
