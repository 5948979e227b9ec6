// CA certificate entity, after kong/db/schema/entities/ca_certificates.lua: one CA certificate
// (basic constraint CA, not expired) that services trust for upstream TLS; `cert_digest` is
// its SHA-256, computed on every write of `cert` and unique.

import { certificateDigest, parseCertificate } from './pem.js'
import { certificatePem } from './certificates.js'
import type { CheckContext, Entity, EntityCheckResult, EntityDefinition } from './schema.js'
import { createdAt, id, tags, updatedAt } from './typedefs.js'

const CERT_TAG = '-----BEGIN CERTIFICATE-----'

function checkCa(entity: Entity, ctx: CheckContext): EntityCheckResult | undefined {
  const pem = entity['cert']
  if (typeof pem !== 'string') return undefined
  const first = pem.indexOf(CERT_TAG)
  if (first !== -1 && pem.indexOf(CERT_TAG, first + CERT_TAG.length) !== -1) {
    return { entity: ['please submit only one certificate at a time'] }
  }
  const cert = parseCertificate(pem)
  if (!cert) return undefined
  if (Date.parse(cert.validTo) < ctx.now) {
    return { entity: ['certificate expired, "Not After" time is in the past'] }
  }
  if (!cert.ca) {
    return {
      entity: ['certificate does not appear to be a CA because it is missing the "CA" basic constraint'],
    }
  }
  return undefined
}

export const caCertificates: EntityDefinition = {
  name: 'ca_certificates',
  primary_key: 'id',
  unique: ['cert_digest'],
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    cert: certificatePem({ required: true }),
    cert_digest: { type: 'string' },
    tags: tags(),
  },
  entity_checks: [{ custom: checkCa }],
  prepare: (input) => {
    // Kong's on_write transformation: the digest follows the certificate.
    const cert = input['cert']
    if (typeof cert === 'string') {
      const digest = certificateDigest(cert)
      if (digest) input['cert_digest'] = digest
    }
    return undefined
  },
}
