// key-auth credentials, after kong/plugins/key-auth/daos.lua: one key per row (unique, random
// when not given), owned by a consumer (deleted with it), optionally expiring (`ttl`). Served
// at `/key-auths` and `/consumers/{c}/key-auth`.

import type { EntityDefinition } from './schema.js'
import { createdAt, id, SAFE_INTEGER_RANGE, tags } from './typedefs.js'

export const keyauthCredentials: EntityDefinition = {
  name: 'keyauth_credentials',
  admin_api_name: 'key-auths',
  primary_key: 'id',
  endpoint_key: 'key',
  unique: ['key'],
  ttl: true,
  fields: {
    id: id(),
    created_at: createdAt(),
    consumer: { type: 'foreign', reference: 'consumers', required: true, on_delete: 'cascade' },
    key: { type: 'string', auto: 'random' },
    tags: tags(),
    // Expiry in epoch seconds (see EntityDefinition.ttl); null: never expires.
    ttl: { type: 'integer', between: SAFE_INTEGER_RANGE },
  },
}
