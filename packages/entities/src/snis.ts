// SNI entity, after kong/db/schema/entities/snis.lua: a server name (exact or with one leading
// or trailing wildcard) that selects a certificate during the TLS handshake.

import type { EntityDefinition } from './schema.js'
import { checkWildcardHost, createdAt, id, tags, updatedAt } from './typedefs.js'

export const snis: EntityDefinition = {
  name: 'snis',
  primary_key: 'id',
  endpoint_key: 'name',
  unique: ['name'],
  fields: {
    id: id(),
    name: { type: 'string', required: true, check: checkWildcardHost },
    created_at: createdAt(),
    updated_at: updatedAt(),
    tags: tags(),
    certificate: { type: 'foreign', reference: 'certificates', required: true, on_delete: 'cascade' },
  },
}
