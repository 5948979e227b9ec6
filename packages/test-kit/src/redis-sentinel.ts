// A private Redis Sentinel setup for failover tests: one master, one replica and one sentinel
// (quorum 1) on free loopback ports, each a real redis-server process (the sentinel is
// `redis-server <conf> --sentinel`). Kill the master and the sentinel promotes the replica.

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChildHandle, RedisServerProcess, freePort, redisCommand, redisServerBinary, waitFor } from './processes.js'

export const SENTINEL_MASTER = 'switchyard'

export class RedisSentinelSetup {
  private constructor(
    readonly master: RedisServerProcess,
    readonly replica: RedisServerProcess,
    readonly sentinel: ChildHandle,
    readonly sentinelPort: number,
    private readonly dir: string
  ) {}

  static async start(): Promise<RedisSentinelSetup> {
    const master = await RedisServerProcess.start()
    const replica = await RedisServerProcess.start(undefined, ['--replicaof', '127.0.0.1', String(master.port)])
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-sentinel-'))
    const conf = join(dir, 'sentinel.conf')
    // Sentinel rewrites its config file: it must be its own, writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n')
    )
    const child = spawn(redisServerBinary(), [conf, '--sentinel', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir })
    const sentinel = new ChildHandle(`redis-sentinel:${port}`, child)
    const setup = new RedisSentinelSetup(master, replica, sentinel, port, dir)
    try {
      await waitFor('sentinel to see the master and its replica', async () => {
        const info = await redisCommand(port, ['INFO', 'sentinel'])
        return info.includes(`name=${SENTINEL_MASTER},status=ok`) && /slaves=1/.test(info)
      }, 15_000)
    } catch (err) {
      await setup.cleanup()
      throw new Error(`${(err as Error).message}\n${sentinel.output()}`)
    }
    return setup
  }

  /** REDIS_URL naming the sentinel. */
  get url(): string {
    return `redis+sentinel://127.0.0.1:${this.sentinelPort}/${SENTINEL_MASTER}`
  }

  /** The port the sentinel reports as master right now. */
  async masterPort(): Promise<number> {
    const info = await redisCommand(this.sentinelPort, ['INFO', 'sentinel'])
    const m = new RegExp(`name=${SENTINEL_MASTER},status=\\w+,address=[^:]+:(\\d+)`).exec(info)
    if (!m) throw new Error(`no master in sentinel info: ${info}`)
    return Number(m[1])
  }

  async cleanup(): Promise<void> {
    await Promise.all([this.sentinel.kill(), this.master.kill(), this.replica.kill()])
    rmSync(this.dir, { recursive: true, force: true })
  }
}
