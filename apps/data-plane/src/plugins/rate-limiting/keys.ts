// Counter keys, in Kong's format so operators can read them the same way:
// ratelimit:<route id>:<service id>:<identifier>:<window start ms>:<period>
// The ids are the plugin instance's scope, or the null UUID when the instance is not bound
// to a route/service (a global instance shares one counter across all services).

import type { Period } from './windows.js'

export const NULL_UUID = '00000000-0000-0000-0000-000000000000'

export interface PluginScope {
  route: string | null
  service: string | null
}

export function counterKey(scope: PluginScope, identifier: string, windowStartMs: number, period: Period): string {
  return `ratelimit:${scope.route ?? NULL_UUID}:${scope.service ?? NULL_UUID}:${identifier}:${windowStartMs}:${period}`
}
