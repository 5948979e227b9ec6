// The Admin API conformance suite (reference kong-admin-api.md §8 plus our extensions), shared
// by every database the control plane runs on: admin-api.postgres.test.ts and
// admin-api.pglite.test.ts each call runAdminApiSuite with their database. One control plane
// per file; the tables are emptied before every test.

import { after, afterEach, before, beforeEach, describe } from 'node:test'
import { runAiExtensionCases } from './admin-api/ai-extensions.case.test.js'
import { runConsumerCases } from './admin-api/consumers.case.test.js'
import { runKeyAuthCases } from './admin-api/key-auth.case.test.js'
import { runCertificateCases } from './admin-api/certificates.case.test.js'
import { runDecodingCases } from './admin-api/decoding.case.test.js'
import { runHealthCases } from './admin-api/health.case.test.js'
import { runMalformedInputCases } from './admin-api/malformed-input.case.test.js'
import { runNodeCases } from './admin-api/node.case.test.js'
import { runOutboxCases } from './admin-api/outbox.case.test.js'
import { runPluginCases } from './admin-api/plugins.case.test.js'
import { runRouteCases } from './admin-api/routes.case.test.js'
import { runSeedScriptCase } from './admin-api/seed-script.case.test.js'
import { runServiceCases } from './admin-api/services.case.test.js'
import { runTargetCases } from './admin-api/targets.case.test.js'
import { runUpstreamCases } from './admin-api/upstreams.case.test.js'
import { AdminHarness, type OpenDatabaseUrl } from './admin-api/harness.js'

export type { OpenDatabaseUrl, SuiteDatabase } from './admin-api/harness.js'

export function runAdminApiSuite(name: string, openDatabaseUrl: OpenDatabaseUrl): void {
  describe(`Admin API on ${name}`, () => {
    const h = new AdminHarness(openDatabaseUrl)
    before(() => h.start())
    after(() => h.stop())
    beforeEach(() => h.reset())
    afterEach(() => h.checkNoServerErrors())

    describe('upstreams', () => runUpstreamCases(h))
    describe('targets', () => runTargetCases(h))
    describe('services', () => runServiceCases(h))
    describe('routes', () => runRouteCases(h))
    describe('node, content types, tags and pagination', () => runNodeCases(h))
    describe('request decoding', () => runDecodingCases(h))
    describe('outbox', () => runOutboxCases(h))
    describe('malformed input', () => runMalformedInputCases(h))
    describe('seed curl script', () => runSeedScriptCase(h))
    describe('health endpoints', () => runHealthCases(h))
    describe('plugins and schemas', () => runPluginCases(h))
    describe('AI-aware balancing extensions', () => runAiExtensionCases(h))
    describe('consumers', () => runConsumerCases(h))
    describe('key-auth credentials', () => runKeyAuthCases(h))
    describe('certificates, SNIs and CA certificates', () => runCertificateCases(h))
  })
}
