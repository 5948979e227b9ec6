// The entities the Admin API serves, by collection name.

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
  plugins,
  certificates,
  snis,
  ca_certificates: caCertificates,
} as const satisfies Record<
  string,
  EntityDefinition
>

export type EntityName = keyof typeof ENTITIES
