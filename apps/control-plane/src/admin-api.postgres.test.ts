// The Admin API conformance suite on a real Postgres: a fresh database per run, dropped at the
// end. Fails (never skips) when Postgres is unreachable: createTestDatabase throws in before().

import { createTestDatabase } from '@switchyard/test-kit'
import { runAdminApiSuite } from './admin-api.case.test.js'

runAdminApiSuite('postgres', createTestDatabase)
