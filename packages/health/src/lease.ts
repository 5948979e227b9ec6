// "Only one node does this": a named lease with a time-to-live, renewed by its holder. Redis
// (SET NX PX, renewal only by the holder, in one script) for a cluster; a map for one process.

import type { Redis } from 'ioredis'
import { redisCommands } from './redis-connect.js'
import { RedisScripts } from './redis-scripts.js'

export interface Lease {
  /** Takes the lease, or renews it when `holder` already has it; true when held afterwards. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>
  release(name: string, holder: string): Promise<void>
  close(): Promise<void>
}

const ACQUIRE_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

export class RedisLease implements Lease {
  private readonly redis: Redis
  private readonly scripts: RedisScripts

  constructor(
    url: string,
    private readonly prefix = 'switchyard:lease'
  ) {
    this.redis = redisCommands(url)
    this.scripts = new RedisScripts(this.redis)
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    try {
      const r = await this.scripts.run(ACQUIRE_SCRIPT, `${this.prefix}:${name}`, [holder, Math.ceil(ttlMs)])
      return r === 1
    } catch {
      // Redis unreachable: nobody can prove they hold the lease, so nobody probes.
      return false
    }
  }

  async release(name: string, holder: string): Promise<void> {
    await this.scripts.run(RELEASE_SCRIPT, `${this.prefix}:${name}`, [holder]).catch(() => {})
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}

export class MemoryLease implements Lease {
  private readonly held = new Map<string, { holder: string; until: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const cur = this.held.get(name)
    const t = this.now()
    if (cur && cur.holder !== holder && cur.until > t) return false
    this.held.set(name, { holder, until: t + ttlMs })
    return true
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.held.get(name)?.holder === holder) this.held.delete(name)
  }

  async close(): Promise<void> {}
}
