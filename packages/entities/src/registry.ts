// The entities the Admin API serves, by collection name.

import { consumers } from './consumers.js'
import { keyauthCredentials } from './keyauth-credentials.js'
import { caCertificates } from './ca-certificates.js'
import { certificates } from './certificates.js'
import { plugins } from './plugins.js'
import { routes } from './routes.js'
import type { EntityDefinition } from './schema.js'
import { services } from './services.js'
import { snis } from './snis.js'
import { targets } from './targets.js'
import { upstreams } from './upstreams.js'

export const ENTITIES = {
  upstreams,
  targets,
  services,
  routes,
  consumers,
  plugins,
  keyauth_credentials: keyauthCredentials,
  certificates,
  snis,
  ca_certificates: caCertificates,
} as const satisfies Record<
  string,
  EntityDefinition
>

export type EntityName = keyof typeof ENTITIES
