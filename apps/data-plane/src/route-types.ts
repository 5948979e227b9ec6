// Structural input types for the router and the hash input: the fields of Kong's route, service
// and upstream JSON that routing and consistent-hash input read (kong/db/schema/entities/
// routes.lua, services.lua, upstreams.lua). Names stay snake_case because entities travel as
// Kong JSON end to end; anything carrying at least these fields (a full entity row) fits.

/** A Kong route as the Admin API returns it (traditional_compatible flavor). */
export interface RouteConfig {
  readonly id: string
  readonly name: string | null
  /** `http`, `https`, `grpc`, `grpcs`, `tcp`, `tls`, `tls_passthrough`, `udp`. */
  readonly protocols: readonly string[]
  /** Upper-case method tokens, matched exactly. */
  readonly methods: readonly string[] | null
  /** Plain or wildcard (`*.example.com`, `example.*`) hosts, each with an optional `:port`. */
  readonly hosts: readonly string[] | null
  /** Prefix paths (`/api`) or regexes marked by a leading `~` (`~/v\d+/`). */
  readonly paths: readonly string[] | null
  /** Header name → accepted values; a value starting with `~*` is a case-insensitive regex. */
  readonly headers: Readonly<Record<string, readonly string[]>> | null
  readonly snis: readonly string[] | null
  readonly strip_path: boolean
  readonly preserve_host: boolean
  readonly regex_priority: number
  readonly path_handling: 'v0' | 'v1'
  /** 426, 301, 302, 307 or 308: what an https-only route answers to plain http. */
  readonly https_redirect_status_code?: number
  /** Kong's default true: the proxy reads the whole body first, which makes retries safe. */
  readonly request_buffering?: boolean
  readonly service: { readonly id: string } | null
  /** Unix seconds; breaks priority ties (older first). */
  readonly created_at?: number
}

/** A Kong service. `path` null means `/`. */
export interface ServiceConfig {
  readonly id: string
  readonly name: string | null
  readonly protocol: string
  readonly host: string
  readonly port: number
  readonly path: string | null
  readonly retries: number
  readonly connect_timeout: number
  readonly write_timeout: number
  readonly read_timeout: number
  readonly enabled: boolean
}

/** Kong's `hash_on` / `hash_fallback` values. */
export type HashOn =
  | 'none'
  | 'consumer'
  | 'ip'
  | 'header'
  | 'cookie'
  | 'path'
  | 'query_arg'
  | 'uri_capture'

/** The hashing fields of a Kong upstream. */
export interface UpstreamHashConfig {
  readonly hash_on: HashOn
  readonly hash_fallback: HashOn
  readonly hash_on_header: string | null
  readonly hash_fallback_header: string | null
  readonly hash_on_cookie: string | null
  /** Kong's default is `/`. */
  readonly hash_on_cookie_path: string | null
  readonly hash_on_query_arg: string | null
  readonly hash_fallback_query_arg: string | null
  readonly hash_on_uri_capture: string | null
  readonly hash_fallback_uri_capture: string | null
}
