// Consumer entity, after kong/db/schema/entities/consumers.lua: a username and/or a custom_id
// (each unique, at least one given), addressable by username in URLs.

import type { EntityDefinition } from './schema.js'
import { createdAt, id, tags, updatedAt } from './typedefs.js'

export const consumers: EntityDefinition = {
  name: 'consumers',
  primary_key: 'id',
  endpoint_key: 'username',
  unique: ['username', 'custom_id'],
  fields: {
    id: id(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    username: { type: 'string' },
    custom_id: { type: 'string' },
    tags: tags(),
  },
  entity_checks: [{ at_least_one_of: ['custom_id', 'username'] }],
}
