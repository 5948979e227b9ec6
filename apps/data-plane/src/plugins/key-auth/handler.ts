// The key-auth plugin's access phase, after kong/plugins/key-auth/handler.lua (Kong 3.9): the
// key is looked for under each of `key_names` in the headers, then the query, then (when
// enabled) the body; a found key names a credential, whose consumer is then authenticated
// and announced upstream in X-Consumer-* headers. With `anonymous` set a failure lets the
// request through as that consumer instead (logical OR with other auth plugins).

import type { EntityJson } from '@switchyard/cluster'
import type { Logger } from '@switchyard/log'
import type { ConfigState } from '../../config-state.js'
import type { PluginInstance } from '../../plugin-resolver.js'
import { PROXY_ERRORS } from '../../proxy-errors.js'
import type { AccessContext, AccessResult } from '../../proxy-server.js'
import { bodyKind, bodyWithout, parseArgs, parseBodyArgs, type BodyArgs } from './body-args.js'

export interface KeyAuthConfig {
  key_names: string[]
  hide_credentials: boolean
  anonymous: string | null
  key_in_header: boolean
  key_in_query: boolean
  key_in_body: boolean
  run_on_preflight: boolean
  realm: string | null
}

export const KEY_AUTH_ERRORS = {
  DUPLICATE: 'Duplicate API key found',
  NO_KEY: 'No API key found in request',
  INVALID: 'Unauthorized',
} as const

/** Kong's upstream headers naming the authenticated consumer (kong/constants.lua). */
export const CONSUMER_HEADERS = {
  id: 'X-Consumer-ID',
  customId: 'X-Consumer-Custom-ID',
  username: 'X-Consumer-Username',
  credential: 'X-Credential-Identifier',
  anonymous: 'X-Anonymous-Consumer',
} as const

export interface KeyAuthDeps {
  state: ConfigState
  log: Logger
  now: () => number
  requestId: () => string
}

type Verdict = AccessResult | undefined

type Found = { ok: true } | { ok: false; message: string; wwwAuthenticate: string }

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

export class KeyAuthPlugin {
  constructor(private readonly deps: KeyAuthDeps) {}

  access(instance: PluginInstance, ctx: AccessContext): Verdict | Promise<Verdict> {
    const config = instance.config as unknown as KeyAuthConfig
    if (config.run_on_preflight === false && ctx.req.method === 'OPTIONS') return undefined
    if (config.anonymous) {
      // Already authenticated by another plugin: nothing to do.
      if (ctx.auth?.credential) return undefined
      return this.finish(this.authenticate(config, ctx), (found) =>
        found.ok ? undefined : this.anonymous(config.anonymous!, ctx)
      )
    }
    return this.finish(this.authenticate(config, ctx), (found) =>
      found.ok ? undefined : this.error(401, found.message, { 'WWW-Authenticate': found.wwwAuthenticate })
    )
  }

  private finish(found: Found | Promise<Found>, then: (f: Found) => Verdict): Verdict | Promise<Verdict> {
    return found instanceof Promise ? found.then(then) : then(found)
  }

  private authenticate(config: KeyAuthConfig, ctx: AccessContext): Found | Promise<Found> {
    // Reading the body is asynchronous; stay synchronous when it is not needed.
    if (!config.key_in_body) return this.lookup(config, ctx, undefined)
    const kind = bodyKind(ctx.req.headers['content-type'])
    if (!kind) return this.lookup(config, ctx, {})
    return ctx.body().then((raw) => this.lookup(config, ctx, parseBodyArgs(kind, raw), raw))
  }

  private lookup(config: KeyAuthConfig, ctx: AccessContext, body: BodyArgs | undefined, rawBody?: Buffer): Found {
    const www = config.realm ? `Key realm="${config.realm}"` : 'Key'
    const query = config.key_in_query ? parseArgs(ctx.query) : {}
    let key: string | undefined
    for (const name of config.key_names) {
      let v: unknown
      if (config.key_in_header) {
        // nginx header lookup: case-insensitive, `_` read as `-`.
        const values = ctx.req.headersDistinct[name.toLowerCase().replaceAll('_', '-')]
        v = values === undefined ? undefined : values.length === 1 ? values[0] : values
      }
      if (v === undefined && config.key_in_query) v = Object.hasOwn(query, name) ? query[name] : undefined
      if (v === undefined && config.key_in_body && body) v = Object.hasOwn(body, name) ? body[name] : undefined
      if (typeof v === 'string') {
        key = v
        if (config.hide_credentials) {
          ctx.edits.clearQueryArg(name)
          ctx.edits.clearHeader(name)
          if (config.key_in_body && rawBody) {
            ctx.edits.setBody(bodyWithout(bodyKind(ctx.req.headers['content-type']), rawBody, name))
          }
        }
        break
      }
      if (Array.isArray(v)) return { ok: false, message: KEY_AUTH_ERRORS.DUPLICATE, wwwAuthenticate: www }
      // Anything else (a bare `?apikey`) is not a key; Kong moves on to the next name.
    }
    if (!key) return { ok: false, message: KEY_AUTH_ERRORS.NO_KEY, wwwAuthenticate: www }
    const credential = this.deps.state.credentialByKey(key, this.deps.now())
    if (!credential) return { ok: false, message: KEY_AUTH_ERRORS.INVALID, wwwAuthenticate: www }
    const consumerId = (credential['consumer'] as { id?: string } | null)?.id
    const consumer = consumerId ? this.deps.state.consumerById(consumerId) : undefined
    setConsumer(ctx, consumer ?? null, credential)
    return { ok: true }
  }

  private anonymous(anonymous: string, ctx: AccessContext): Verdict {
    const consumer = this.deps.state.consumerByIdOrUsername(anonymous)
    if (!consumer) {
      // Kong's kong.client.authenticate(nil, nil) raises: the request fails with a 500.
      this.deps.log.error({ anonymous }, 'key-auth: the anonymous consumer does not exist')
      return this.error(PROXY_ERRORS.INTERNAL.status, PROXY_ERRORS.INTERNAL.message, {})
    }
    setConsumer(ctx, consumer, null)
    return undefined
  }

  private error(status: number, message: string, headers: Record<string, string>): AccessResult {
    const requestId = this.deps.requestId()
    return {
      response: { status, body: { message, request_id: requestId }, headers: { ...headers, 'X-Kong-Request-Id': requestId } },
    }
  }
}

/** Kong's set_consumer: authenticate, then set or clear each X-Consumer-* header upstream. */
function setConsumer(ctx: AccessContext, consumer: EntityJson | null, credential: EntityJson | null): void {
  ctx.auth = { consumer, credential }
  const e = ctx.edits
  const put = (name: string, value: string | undefined) => (value === undefined ? e.clearHeader(name) : e.setHeader(name, value))
  put(CONSUMER_HEADERS.id, str(consumer?.['id']))
  put(CONSUMER_HEADERS.customId, str(consumer?.['custom_id']))
  put(CONSUMER_HEADERS.username, str(consumer?.['username']))
  put(CONSUMER_HEADERS.credential, str(credential?.['id']))
  put(CONSUMER_HEADERS.anonymous, credential ? undefined : 'true')
}
