// Public surface of @switchyard/entities: Kong's entity definitions as data, their
// validation and form decoding, and the error catalog the Admin API speaks.

export * from './schema.js'
export * from './errors.js'
export { MSG } from './messages.js'
export { luaTable } from './lua-table.js'
export { parseHost, hostnameType, expandIpv6, type ParsedHost, type HostType } from './host.js'
export { isUuid, UUID_PATTERN, checkWildcardHost } from './typedefs.js'
export { certificates } from './certificates.js'
export { snis } from './snis.js'
export { caCertificates } from './ca-certificates.js'
export {
  certificateDigest,
  certificateKeyType,
  certificateMatchesKey,
  checkCertificatePem,
  checkKeyPem,
  parseCertificate,
  parsePrivateKey,
} from './pem.js'
export { upstreams, checkUpstreamName, ALGORITHMS, HASH_ON } from './upstreams.js'
export { targets, normalizeTarget, DEFAULT_TARGET_PORT, INVALID_TARGET } from './targets.js'
export { services, parseServiceUrl, PROTOCOLS } from './services.js'
export { routes } from './routes.js'
export { consumers } from './consumers.js'
export { keyauthCredentials } from './keyauth-credentials.js'
export { validateEntity } from './validate.js'
export { withDefaults, mergeUpdate } from './defaults.js'
export { prepareCreate, prepareUpdate, type WriteContext, type WriteResult } from './write.js'
export { decodePairs, inferFields, inferValue, parseKey } from './decode-args.js'
export { ENTITIES, type EntityName } from './registry.js'
export { plugins, PLUGIN_SCHEMAS, notEnabled } from './plugins.js'
export { PERIODS } from './plugins/rate-limiting.js'
export { entitySchemaJson, fieldsJson } from './schema-json.js'
