// Public surface of @switchyard/server: listen addresses in Kong's syntax and server start-up.
export { parseListen, parseListeners, type Listen, type ListenEntry } from './listen-address.js'
export { listen } from './listen.js'
export { kongListeners, listenEntries, type KongListener } from './kong-listeners.js'
export { createCertificate, selfSignedDefault, type CertificateOptions, type CertificatePair } from './x509.js'
