// Throw-away certificates for tests (cluster TLS, Postgres SSL), made with the openssl CLI:
// a self-signed EC P-256 certificate with localhost / 127.0.0.1 as subject alternative names.

import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CertFiles } from './processes.js'

/** Writes `<name>.crt` and `<name>.key` (mode 0600) into `dir` (a fresh temp dir by default). */
export function generateCert(opts: { dir?: string; name?: string; commonName?: string } = {}): CertFiles & { dir: string } {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'switchyard-cert-'))
  const name = opts.name ?? 'cluster'
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  const r = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', `/CN=${opts.commonName ?? 'kong_clustering'}`,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { encoding: 'utf8' }
  )
  if (r.error || r.status !== 0) {
    throw new Error(`openssl is required to generate a test certificate: ${r.error?.message ?? r.stderr}`)
  }
  chmodSync(keyFile, 0o600)
  return { certFile, keyFile, dir }
}
