// A cluster data plane: boots from the control plane's snapshot (or its cache file when the
// control plane is unreachable), follows commits through the Redis doorbell and the
// authenticated events endpoint, polls as a fallback, and serves the proxy throughout.

import { ClusterClient, ConfigFollower, NoticeSubscriber, readCacheFile, writeCacheFile } from '@switchyard/cluster'
import {
  MemoryAiStore,
  MemoryHealthStore,
  MemoryLease,
  RedisAiStore,
  RedisHealthStore,
  RedisLease,
  type AiStateStore,
  type HealthStore,
  type Lease,
} from '@switchyard/health'
import type { Logger } from '@switchyard/log'
import { randomUUID } from 'node:crypto'
import { AiRuntime } from './ai-runtime.js'
import { startHealth, type HealthRuntime } from './health-runtime.js'
import { ConfigState } from './config-state.js'
import type { DataPlaneConfig } from './config.js'
import { createPluginAccess, type PluginAccess } from './plugins/access.js'

/** Catch-up poll when no notice arrives (Redis down): bounds staleness without Redis. */
export const POLL_INTERVAL_MS = 2000
const CACHE_WRITE_DELAY_MS = 200
const BOOT_RETRY_MS = 500

export class DataPlaneNode {
  readonly state = new ConfigState({ now: () => performance.now(), random: Math.random })
  private readonly client: ClusterClient
  private readonly follower: ConfigFollower
  private subscriber: NoticeSubscriber | undefined
  private cpReachable = false
  private timers: NodeJS.Timeout[] = []
  private cacheTimer: NodeJS.Timeout | undefined
  private cacheWriting = false
  private cacheDirty = false
  private bootstrapped = false
  readonly nodeId = randomUUID()
  readonly healthStore: HealthStore
  readonly aiStore: AiStateStore
  /** AI-aware balancing (provider signals, budgets, lowest-usage, slow start) for the proxy. */
  readonly ai: AiRuntime
  private readonly lease: Lease
  health: HealthRuntime | undefined
  /** Plugins' access phase (rate limiting) for the proxy. */
  readonly plugins: PluginAccess

  constructor(
    private readonly config: DataPlaneConfig,
    private readonly log: Logger
  ) {
    this.client = new ClusterClient(config.controlPlane, config.clusterToken, config.clusterTls)
    this.plugins = createPluginAccess({ state: this.state, log })
    // Without Redis (a single data plane for development) health stays node-local.
    this.healthStore = config.redisUrl ? new RedisHealthStore({ url: config.redisUrl }) : new MemoryHealthStore()
    this.lease = config.redisUrl ? new RedisLease(config.redisUrl) : new MemoryLease()
    this.aiStore = config.redisUrl ? new RedisAiStore({ url: config.redisUrl }) : new MemoryAiStore()
    this.ai = new AiRuntime({ state: this.state, store: this.aiStore, log })
    const source = {
      snapshot: async () => this.reachable(this.client.snapshot()),
      eventsAfter: async (v: number) => this.reachable(this.client.eventsAfter(v)),
    }
    this.follower = new ConfigFollower(source, this.state, {
      onChange: () => this.scheduleCacheWrite(),
      onError: (err) => log.debug({ err }, 'catch-up failed; will retry'),
    })
  }

  private async reachable<T>(p: Promise<T>): Promise<T> {
    try {
      const v = await p
      this.cpReachable = true
      return v
    } catch (err) {
      this.cpReachable = false
      throw err
    }
  }

  get redisConnected(): boolean {
    return this.subscriber?.connected ?? false
  }

  get controlPlaneReachable(): boolean {
    return this.cpReachable
  }

  /** Loads the config from the control plane, or from the cache file if it cannot be reached. */
  async start(): Promise<void> {
    try {
      await this.follower.bootstrap()
      this.bootstrapped = true
      this.log.info({ version: this.state.version }, 'bootstrapped from control plane snapshot')
    } catch (err) {
      const cached = readCacheFile(this.config.cacheFile)
      if (cached) {
        this.state.loadSnapshot(cached)
        this.log.warn({ err, version: cached.version }, 'control plane unreachable; serving cached config')
      } else {
        this.log.warn({ err }, 'control plane unreachable and no cache; serving empty config')
      }
      this.retryBootstrap()
    }
    if (this.config.redisUrl) {
      this.subscriber = new NoticeSubscriber(this.config.redisUrl, {
        onNotice: (n) => this.follower.noticeVersion(n.version, n.epoch),
        onReady: () => {
          this.log.info('subscribed to config notices')
          void this.follower.trigger()
        },
      })
    }
    this.health = await startHealth({
      state: this.state,
      store: this.healthStore,
      lease: this.lease,
      nodeId: this.nodeId,
      log: this.log,
      halfOpenMs: this.config.halfOpenMs,
    })
    // Cooldowns and windows live in the shared store: a restarted node picks them up here.
    await this.ai.start()
    const poll = setInterval(() => void this.follower.trigger(), POLL_INTERVAL_MS)
    poll.unref()
    this.timers.push(poll)
  }

  private retryBootstrap(): void {
    const t = setTimeout(() => {
      this.follower.bootstrap().then(
        () => {
          this.bootstrapped = true
          this.log.info({ version: this.state.version }, 'bootstrapped from control plane snapshot')
        },
        () => this.retryBootstrap()
      )
    }, BOOT_RETRY_MS)
    t.unref()
    this.timers.push(t)
  }

  private scheduleCacheWrite(): void {
    if (this.cacheTimer) return
    this.cacheTimer = setTimeout(() => {
      this.cacheTimer = undefined
      // One write at a time; changes during a write are written after it.
      if (this.cacheWriting) {
        this.cacheDirty = true
        return
      }
      this.cacheWriting = true
      writeCacheFile(this.config.cacheFile, this.state.snapshot())
        .catch((err: unknown) => this.log.warn({ err }, 'cannot write config cache file'))
        .finally(() => {
          this.cacheWriting = false
          if (this.cacheDirty) {
            this.cacheDirty = false
            this.scheduleCacheWrite()
          }
        })
    }, CACHE_WRITE_DELAY_MS)
  }

  get ready(): boolean {
    return this.bootstrapped
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    if (this.cacheTimer) clearTimeout(this.cacheTimer)
    await this.subscriber?.close()
    this.client.close()
    await this.health?.stop()
    this.ai.stop()
    await this.aiStore.close()
    await this.healthStore.close()
    await this.lease.close()
    await this.plugins.close()
  }
}
