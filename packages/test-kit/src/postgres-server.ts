// A private PostgreSQL server for tests that stop, freeze or reconfigure Postgres: the machine's
// shared server on 5432 is used by every other test and must never be touched. initdb into a
// temp directory, the server on a free loopback port with its socket in that directory, TLS on
// with a generated certificate (or off). Runs as the `postgres` user when we are root (initdb
// and postgres refuse to run as root). Every process is ours, signalled by pid only.

import { spawn, spawnSync } from 'node:child_process'
import { chownSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateCert } from './certs.js'
import { ChildHandle, freePort, waitFor, type CertFiles } from './processes.js'
import { querySql } from './sql.js'

function pgBinDir(): string {
  let versions: string[] = []
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
  } catch {
    // reported below
  }
  if (!versions[0]) throw new Error('PostgreSQL server binaries are required under /usr/lib/postgresql (install postgresql)')
  return join('/usr/lib/postgresql', versions[0], 'bin')
}

/** uid/gid to run the server as: ours, or `postgres` when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root needs a `postgres` user to start a private PostgreSQL')
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

export interface PostgresServerOptions {
  /** TLS on with a generated certificate (default true). */
  ssl?: boolean
}

export class PostgresServer {
  proc: ChildHandle | undefined
  readonly cert: CertFiles & { dir: string }
  private readonly user = serverUser()

  private constructor(
    readonly dir: string,
    readonly port: number,
    private ssl: boolean
  ) {
    this.cert = generateCert({ commonName: 'localhost' })
  }

  static async start(opts: PostgresServerOptions = {}): Promise<PostgresServer> {
    const bin = pgBinDir()
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-pg-'))
    const server = new PostgresServer(dir, await freePort(), opts.ssl ?? true)
    const data = join(dir, 'data')
    if (server.user) chownSync(dir, server.user.uid, server.user.gid)
    const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      encoding: 'utf8',
      ...(server.user ?? {}),
    })
    if (init.status !== 0) throw new Error(`initdb failed: ${init.error?.message ?? init.stderr}`)
    // The server reads its key only when it is private to the server's user.
    for (const [from, to] of [[server.cert.certFile, 'server.crt'], [server.cert.keyFile, 'server.key']] as const) {
      copyFileSync(from, join(data, to))
      chmodSync(join(data, to), 0o600)
      if (server.user) chownSync(join(data, to), server.user.uid, server.user.gid)
    }
    writeFileSync(
      join(data, 'pg_hba.conf'),
      ['local all all trust', 'host all all 127.0.0.1/32 trust', 'hostssl all all 127.0.0.1/32 trust', ''].join('\n')
    )
    await server.run()
    return server
  }

  /** Starts the server (again) on the same directory and port; `ssl` switches TLS for this run. */
  async run(opts: { ssl?: boolean } = {}): Promise<void> {
    if (opts.ssl !== undefined) this.ssl = opts.ssl
    const child = spawn(
      join(pgBinDir(), 'postgres'),
      [
        '-D', join(this.dir, 'data'),
        '-p', String(this.port),
        '-k', this.dir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `ssl=${this.ssl ? 'on' : 'off'}`,
        '-c', 'fsync=off',
        '-c', 'max_connections=50',
        '-c', 'shared_buffers=16MB',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir, ...(this.user ?? {}) }
    )
    this.proc = new ChildHandle(`postgres:${this.port}`, child)
    try {
      await waitFor(`private postgres on ${this.port}`, async () => {
        if (!this.proc?.running) throw new Error('postgres exited')
        await querySql(this.adminUrl, 'select 1')
        return true
      }, 15_000)
    } catch (err) {
      await this.proc.kill()
      throw new Error(`${(err as Error).message}\n${this.proc.output()}`)
    }
  }

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  /** A fresh database on this server. */
  async createDatabase(name: string): Promise<string> {
    await querySql(this.adminUrl, `create database ${name}`)
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`
  }

  get caPem(): string {
    return readFileSync(this.cert.certFile, 'utf8')
  }

  /** Fast shutdown (SIGINT): connections are cut, the server exits. */
  async stop(): Promise<void> {
    if (!this.proc?.running) return
    this.proc.child.kill('SIGINT')
    const timer = setTimeout(() => this.proc?.child.kill('SIGKILL'), 10_000)
    await this.proc.exited
    clearTimeout(timer)
  }

  /** The postmaster and its children (backends, background workers), by pid. */
  private pids(): number[] {
    const main = this.proc?.pid
    if (!main) return []
    const pids = [main]
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid; the name field may hold spaces.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        if (ppid === main) pids.push(Number(entry))
      } catch {
        // the process ended meanwhile
      }
    }
    return pids
  }

  /** SIGSTOP every server process: connections stay open and nothing answers (a hung database). */
  freeze(): number[] {
    const pids = this.pids()
    for (const pid of pids) process.kill(pid, 'SIGSTOP')
    return pids
  }

  thaw(pids: number[]): void {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT')
      } catch {
        // gone
      }
    }
  }

  /** Stops the server and removes its directory and certificate. */
  async cleanup(): Promise<void> {
    if (this.proc?.running) {
      this.thaw(this.pids())
      // Immediate shutdown: the postmaster takes its backends down with it.
      this.proc.child.kill('SIGQUIT')
      const timer = setTimeout(() => this.proc?.child.kill('SIGKILL'), 5000)
      await this.proc.exited
      clearTimeout(timer)
    }
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(this.cert.dir, { recursive: true, force: true })
  }
}
