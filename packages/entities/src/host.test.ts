// Host classification and normalisation after kong/tools/ip.lua: IPv4 leading zeros dropped,
// IPv6 expanded and bracketed, hostnames validated with case kept; plus the target form.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { expandIpv6, hostnameType, parseHost } from './host.js'
import { normalizeTarget } from './targets.js'

const LOOPBACK6 = '[0000:0000:0000:0000:0000:0000:0000:0001]'

test('hostnameType: more than one colon is IPv6, digits and dots IPv4, anything else a name', () => {
  const cases: [string, string][] = [
    ['konghq.test', 'name'],
    ['a.test:80', 'name'],
    ['1.2.3.4', 'ipv4'],
    ['1.2.3.4:80', 'ipv4'],
    // All digits is an IPv4 attempt, so it can never be a hostname.
    ['1234', 'ipv4'],
    ['::1', 'ipv6'],
    ['[::1]:80', 'ipv6'],
  ]
  for (const [input, type] of cases) assert.equal(hostnameType(input), type, input)
})

test('parseHost normalises valid hosts', () => {
  const cases: [string, { type: string; host: string; port?: number }][] = [
    ['konghq.test', { type: 'name', host: 'konghq.test' }],
    ['KongHQ.Test:8080', { type: 'name', host: 'KongHQ.Test', port: 8080 }],
    ['a_b.test', { type: 'name', host: 'a_b.test' }],
    ['a.test.', { type: 'name', host: 'a.test.' }],
    ['-a.test', { type: 'name', host: '-a.test' }],
    ['a.test:0', { type: 'name', host: 'a.test', port: 0 }],
    ['localhost:65535', { type: 'name', host: 'localhost', port: 65535 }],
    ['001.002.003.004:123', { type: 'ipv4', host: '1.2.3.4', port: 123 }],
    ['10.0.0.1', { type: 'ipv4', host: '10.0.0.1' }],
    ['::1', { type: 'ipv6', host: LOOPBACK6 }],
    ['[::1]', { type: 'ipv6', host: LOOPBACK6 }],
    ['[::1]:80', { type: 'ipv6', host: LOOPBACK6, port: 80 }],
    ['FE80::1:2', { type: 'ipv6', host: '[fe80:0000:0000:0000:0000:0000:0001:0002]' }],
    ['1:2:3:4:5:6:7:8', { type: 'ipv6', host: '[0001:0002:0003:0004:0005:0006:0007:0008]' }],
    ['::ffff:1.2.3.4', { type: 'ipv6', host: '[0000:0000:0000:0000:0000:ffff:0102:0304]' }],
  ]
  for (const [input, expected] of cases) assert.deepEqual(parseHost(input), expected, input)
})

test('parseHost rejects invalid hosts', () => {
  const invalid = [
    '',
    ' a.test',
    'a b',
    'a-.test',
    'a..b',
    'a.test:',
    'a.test:65536',
    'a.test:x',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1234',
    '1234:80',
    '1.2.3.4:65536',
    '[::1',
    '[::1]:',
    '[::1]x',
    '::1::2',
    'abcde::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'a\u0000b',
  ]
  for (const input of invalid) assert.equal(parseHost(input), undefined, JSON.stringify(input))
})

test('expandIpv6 writes eight lower-case groups of four digits', () => {
  const cases: [string, string | undefined][] = [
    ['::', '0000:0000:0000:0000:0000:0000:0000:0000'],
    ['2001:DB8::', '2001:0db8:0000:0000:0000:0000:0000:0000'],
    ['1::2:3', '0001:0000:0000:0000:0000:0000:0002:0003'],
    ['::1.2.3.256', undefined],
    ['g::1', undefined],
  ]
  for (const [input, expected] of cases) assert.equal(expandIpv6(input), expected, input)
})

test('normalizeTarget appends the default port 8000', () => {
  const cases: [string, string | undefined][] = [
    ['konghq.test', 'konghq.test:8000'],
    ['konghq.test:123', 'konghq.test:123'],
    ['1.2.3.4', '1.2.3.4:8000'],
    ['001.002.003.004:123', '1.2.3.4:123'],
    ['::1', `${LOOPBACK6}:8000`],
    ['[::1]:81', `${LOOPBACK6}:81`],
    ['some invalid host name', undefined],
    ['a.test:65536', undefined],
  ]
  for (const [input, expected] of cases) assert.equal(normalizeTarget(input), expected, input)
})
