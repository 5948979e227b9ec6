import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from './logger.js'

test('writes one JSON object per line with level, msg and bindings', () => {
  const lines: string[] = []
  const log = createLogger({ write: (l) => lines.push(l), bindings: { app: 'x' } })
  log.info({ port: 8001 }, 'listening')
  const entry = JSON.parse(lines[0]!)
  assert.equal(entry.level, 30)
  assert.equal(entry.msg, 'listening')
  assert.equal(entry.app, 'x')
  assert.equal(entry.port, 8001)
})

test('filters below the level and masks secrets', () => {
  const lines: string[] = []
  const log = createLogger({ level: 'warn', write: (l) => lines.push(l) })
  log.info('hidden')
  log.warn({ password: 'hunter2', url: 'postgres://u:pw@h/db', token: 't' }, 'w')
  assert.equal(lines.length, 1)
  const entry = JSON.parse(lines[0]!)
  assert.equal(entry.password, '[redacted]')
  assert.equal(entry.token, '[redacted]')
  assert.equal(entry.url, 'postgres://u:[redacted]@h/db')
})

test('PEM private keys are masked in values, nested payloads and errors', () => {
  const lines: string[] = []
  const log = createLogger({ write: (l) => lines.push(l) })
  const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n'
  const ec = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----'
  log.error(
    { payload: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', key }, err: new Error(`bad ${ec} here`) },
    'failed'
  )
  const text = lines.join('\n')
  assert.ok(!text.includes('MIIEvQIBADANBg') && !text.includes('MHcCAQEEI'), text)
  const entry = JSON.parse(lines[0]!)
  assert.equal(entry.payload.key, '[redacted private key]\n')
  assert.ok(entry.payload.cert.includes('BEGIN CERTIFICATE'), 'certificates are public and kept')
  assert.equal(entry.err.message, 'bad [redacted private key] here')
})
