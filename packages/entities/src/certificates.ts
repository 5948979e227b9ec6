// Certificate entity, after kong/db/schema/entities/certificates.lua: a PEM certificate and its
// private key, an optional alternative pair of another key type (RSA + ECDSA), and the `snis`
// shorthand — names that the Admin API turns into SNI entities, never stored in this row.

import {
  certificateKeyType,
  certificateMatchesKey,
  checkCertificatePem,
  checkKeyPem,
} from './pem.js'
import type { Entity, EntityCheckResult, EntityDefinition, StringField } from './schema.js'
import { checkWildcardHost, createdAt, id, tags, updatedAt } from './typedefs.js'

export const certificatePem = (extra: Partial<StringField> = {}): StringField => ({
  type: 'string',
  check: checkCertificatePem,
  ...extra,
})
export const keyPem = (extra: Partial<StringField> = {}): StringField => ({
  type: 'string',
  check: checkKeyPem,
  ...extra,
})

const str = (v: unknown): v is string => typeof v === 'string'

function checkPairs(entity: Entity): EntityCheckResult | undefined {
  const { cert, key, cert_alt, key_alt } = entity
  const messages: string[] = []
  if (str(cert) && str(key) && !certificateMatchesKey(cert, key)) {
    messages.push('certificate does not match key')
  }
  if (str(cert_alt) && str(key_alt) && !certificateMatchesKey(cert_alt, key_alt)) {
    messages.push('alternative certificate does not match key')
  }
  if (str(cert) && str(cert_alt) && certificateKeyType(cert) === certificateKeyType(cert_alt)) {
    messages.push(
      'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), ' +
        'the provided certificates were both of the same type'
    )
  }
  return messages.length > 0 ? { entity: messages } : undefined
}

export const certificates: EntityDefinition = {
  name: 'certificates',
  primary_key: 'id',
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    cert: certificatePem({ required: true }),
    key: keyPem({ required: true }),
    cert_alt: certificatePem(),
    key_alt: keyPem(),
    tags: tags(),
    snis: { type: 'array', elements: { type: 'string', check: checkWildcardHost }, transient: true },
  },
  entity_checks: [{ mutually_required: ['cert_alt', 'key_alt'] }, { custom: checkPairs }],
}
