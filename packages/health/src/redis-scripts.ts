// Runs Lua scripts by SHA, loading each once and again after a Redis restart emptied the
// script cache (NOSCRIPT). Shared by the health, AI and lease stores' atomic steps.

import type { Redis } from 'ioredis'
import { whenReady } from './redis-ready.js'

export class RedisScripts {
  private readonly shas = new Map<string, string>()

  constructor(private readonly redis: Redis) {}

  async run(script: string, key: string, args: (string | number)[]): Promise<unknown> {
    await whenReady(this.redis)
    let sha = this.shas.get(script)
    if (!sha) {
      sha = (await this.redis.script('LOAD', script)) as string
      this.shas.set(script, sha)
    }
    try {
      return await this.redis.evalsha(sha, 1, key, ...args)
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err
      this.shas.delete(script)
      return this.run(script, key, args)
    }
  }
}
