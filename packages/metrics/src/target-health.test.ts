import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AddressResolver, splitTarget, targetHealthRows } from './target-health.js'

test('target strings split into host and port (default 8000)', () => {
  const cases: [string, { host: string; port: number }][] = [
    ['127.0.0.1:9000', { host: '127.0.0.1', port: 9000 }],
    ['example.test', { host: 'example.test', port: 8000 }],
    ['[::1]:81', { host: '::1', port: 81 }],
    ['[::1]', { host: '::1', port: 8000 }],
  ]
  for (const [t, want] of cases) assert.deepEqual(splitTarget(t), want, t)
})

test('resolver: IPs as they are, names looked up once and cached, failures give undefined', async () => {
  let clock = 0
  const asked: string[] = []
  const resolver = new AddressResolver(
    async (host) => {
      asked.push(host)
      if (host === 'bad.test') throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' })
      return { address: '10.0.0.7' }
    },
    () => clock
  )
  assert.equal(await resolver.address('127.0.0.1:1'), '127.0.0.1:1')
  assert.equal(await resolver.address('[::1]:2'), '[::1]:2')
  assert.equal(await resolver.address('svc.test:80'), '10.0.0.7:80')
  assert.equal(await resolver.address('svc.test:81'), '10.0.0.7:81')
  assert.equal(await resolver.address('bad.test:80'), undefined)
  assert.deepEqual(asked, ['svc.test', 'bad.test'])
  clock += 60_000
  await resolver.address('svc.test:80')
  assert.deepEqual(asked, ['svc.test', 'bad.test', 'svc.test'])
})

test('rows: checks off or weight 0 → healthchecks_off, unresolvable → dns_error with address ""', async () => {
  const resolver = new AddressResolver(async () => {
    throw new Error('no')
  })
  const rows = await targetHealthRows(
    [
      { name: 'off', checksEnabled: false, targets: [{ target: '127.0.0.1:1', weight: 100, status: 'unhealthy' }] },
      {
        name: 'on',
        checksEnabled: true,
        targets: [
          { target: '127.0.0.1:2', weight: 100, status: 'healthy' },
          { target: '127.0.0.1:3', weight: 100, status: 'unhealthy' },
          { target: '127.0.0.1:4', weight: 0, status: 'unhealthy' },
          { target: 'nowhere.invalid:80', weight: 100, status: 'healthy' },
        ],
      },
    ],
    resolver
  )
  assert.deepEqual(rows, [
    { upstream: 'off', target: '127.0.0.1:1', address: '127.0.0.1:1', state: 'healthchecks_off' },
    { upstream: 'on', target: '127.0.0.1:2', address: '127.0.0.1:2', state: 'healthy' },
    { upstream: 'on', target: '127.0.0.1:3', address: '127.0.0.1:3', state: 'unhealthy' },
    { upstream: 'on', target: '127.0.0.1:4', address: '127.0.0.1:4', state: 'healthchecks_off' },
    { upstream: 'on', target: 'nowhere.invalid:80', address: '', state: 'dns_error' },
  ])
})
