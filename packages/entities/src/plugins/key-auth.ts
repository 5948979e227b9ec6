// The key-auth plugin's config (kong/plugins/key-auth/schema.lua, Kong 3.9).

import type { Fields } from '../schema.js'
import { headerName } from '../typedefs.js'

export const keyAuthConfig: Fields = {
  key_names: { type: 'array', required: true, elements: headerName(), default: ['apikey'] },
  hide_credentials: { type: 'boolean', required: true, default: false },
  anonymous: { type: 'string' },
  key_in_header: { type: 'boolean', required: true, default: true },
  key_in_query: { type: 'boolean', required: true, default: true },
  key_in_body: { type: 'boolean', required: true, default: false },
  run_on_preflight: { type: 'boolean', required: true, default: true },
  realm: { type: 'string' },
}
