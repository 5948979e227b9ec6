// The Admin API conformance suite on in-memory PGlite (the standalone gateway's database).

import { runAdminApiSuite } from './admin-api.case.test.js'

runAdminApiSuite('pglite', async () => ({ url: undefined, drop: async () => {} }))
