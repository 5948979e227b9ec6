// The conformance suite's fixture: one control plane per test file on the database it is given
// (a fresh Postgres database or in-memory PGlite), served over loopback; tables are emptied
// between tests, and any 5xx answer or logged error fails the test that caused it.

import { resetForTests, type OutboxEvent } from '@switchyard/db'
import { MemoryHealthStore } from '@switchyard/health'
import { createLogger } from '@switchyard/log'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createControlPlane, type ControlPlane } from '../control-plane.js'
import { AdminClient } from './client.js'

/** A database for one suite run: its URL (undefined = in-memory PGlite) and its cleanup. */
export interface SuiteDatabase {
  url: string | undefined
  drop(): Promise<void>
}

export type OpenDatabaseUrl = () => Promise<SuiteDatabase>

interface Running {
  cp: ControlPlane
  server: http.Server
  database: SuiteDatabase
  client: AdminClient
}

export class AdminHarness {
  private running: Running | undefined
  /** Error lines the control plane logged since the last check. */
  private logged: string[] = []

  constructor(private readonly open: OpenDatabaseUrl) {}

  async start(): Promise<void> {
    const database = await this.open()
    const log = createLogger({ level: 'error', write: (line) => this.logged.push(line) })
    let cp: ControlPlane
    try {
      cp = await createControlPlane({ databaseUrl: database.url, log, healthStore: new MemoryHealthStore() })
    } catch (err) {
      // Do not leave a test database behind when migrations fail.
      await database.drop()
      throw err
    }
    const server = http.createServer(cp.app)
    cp.counters.watch(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    this.running = { cp, server, database, client: new AdminClient(`http://127.0.0.1:${port}`) }
  }

  private get state(): Running {
    if (!this.running) throw new Error('harness not started (call start() in before())')
    return this.running
  }

  get client(): AdminClient {
    return this.state.client
  }

  get cp(): ControlPlane {
    return this.state.cp
  }

  /** Empties every table and the outbox. */
  reset(): Promise<void> {
    return resetForTests(this.state.cp.database)
  }

  /** Every outbox event, oldest first. */
  events(): Promise<OutboxEvent[]> {
    return this.state.cp.store.eventsAfter(0)
  }

  /** Throws when a request since the last call got a 5xx or the control plane logged an error. */
  checkNoServerErrors(): void {
    const problems = [...this.state.client.takeServerErrors(), ...this.logged]
    this.logged = []
    if (problems.length > 0) throw new Error(`server errors:\n${problems.join('\n')}`)
  }

  async stop(): Promise<void> {
    const running = this.running
    if (!running) return
    this.running = undefined
    running.server.closeAllConnections()
    await new Promise<void>((resolve) => running.server.close(() => resolve()))
    await running.cp.close()
    await running.database.drop()
  }
}
