// One fuzzing session: a real control plane on the database given (a Postgres URL, or
// in-memory PGlite when undefined) served over loopback, the fuzzer against it, then the
// consistency check on what the database holds. Used by the test and by `npm run fuzz`.

import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createControlPlane } from '../control-plane.js'
import { checkConsistency, checkOutboxReplay, fuzzAdminApi, type FuzzReport } from './run.js'

export interface FuzzSessionOptions {
  databaseUrl: string | undefined
  count: number
  seed: number
  concurrency?: number
}

export interface FuzzSessionResult {
  report: FuzzReport
  /** Stored entities that no longer validate, dangle, do not read back or differ from the outbox. */
  consistency: string[]
  /** Error lines the control plane logged (an unexpected exception in a handler). */
  logged: string[]
  /** Entities stored at the end, by collection. */
  stored: Record<string, number>
}

export async function runFuzzSession(opts: FuzzSessionOptions): Promise<FuzzSessionResult> {
  const logged: string[] = []
  const log = createLogger({ level: 'error', write: (line) => logged.push(line) })
  const cp = await createControlPlane({ databaseUrl: opts.databaseUrl, log, healthStore: new MemoryHealthStore() })
  const server = http.createServer(cp.app)
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const report = await fuzzAdminApi({
      baseUrl,
      endpoints: cp.router.paths,
      count: opts.count,
      seed: opts.seed,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    })
    const snapshot = await cp.store.snapshot()
    const events = await cp.store.eventsAfter(0, Number.MAX_SAFE_INTEGER)
    const consistency = [
      ...(await checkConsistency(baseUrl, snapshot.entities)),
      ...checkOutboxReplay(events, snapshot.entities),
    ]
    const stored = Object.fromEntries(Object.entries(snapshot.entities).map(([k, v]) => [k, v.length]))
    return { report, consistency, logged, stored }
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cp.close()
  }
}
