// The control plane's cluster endpoints (KONG_CLUSTER_LISTEN, :8005): `GET /v1/snapshot` (every
// entity, version and hash), `GET /v1/events?after=V` (outbox rows after V, oldest first;
// 410 when V is older than the retained outbox) and `GET /status` (newest version and hash).
// Every endpoint but /status requires `Authorization: Bearer <SWITCHYARD_CLUSTER_TOKEN>`.

import { configHash } from '@switchyard/cluster'
import type { Store } from '@switchyard/db'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { timingSafeEqual } from 'node:crypto'

/** Most events one page carries; the follower asks again until it is caught up. */
export const EVENTS_PAGE_SIZE = 1000

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Caches the hash of the newest snapshot per version: a status poll must not reread everything. */
export class StatusCache {
  private cached: { version: number; hash: string } | undefined

  constructor(private readonly store: Store) {}

  async current(): Promise<{ config_version: number; config_hash: string }> {
    const version = await this.store.latestVersion()
    if (!this.cached || this.cached.version !== version) {
      const snap = await this.store.snapshot()
      this.cached = { version: snap.version, hash: configHash(snap.entities) }
    }
    return { config_version: this.cached.version, config_hash: this.cached.hash }
  }
}

export function createClusterApp(store: Store, token: string, status: StatusCache): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  app.get('/status', async (_req, res, next) => {
    try {
      res.json({ role: 'control_plane', ...(await status.current()) })
    } catch (err) {
      next(err)
    }
  })

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!tokenMatches(req.headers.authorization, token)) {
      res.status(401).json({ message: 'Unauthorized' })
      return
    }
    next()
  })

  app.get('/v1/snapshot', async (_req, res, next) => {
    try {
      const snap = await store.snapshot()
      res.json({ version: snap.version, hash: configHash(snap.entities), entities: snap.entities })
    } catch (err) {
      next(err)
    }
  })

  app.get('/v1/events', async (req, res, next) => {
    try {
      const after = Number(req.query['after'] ?? 0)
      if (!Number.isSafeInteger(after) || after < 0) {
        res.status(400).json({ message: "'after' must be a non-negative integer" })
        return
      }
      const [latest, oldest] = await Promise.all([store.latestVersion(), store.oldestVersion()])
      // Events after `after` are complete only if the next one is still retained.
      if (after < latest && oldest > after + 1) {
        res.status(410).json({ message: `version ${after} is older than the retained outbox`, oldest })
        return
      }
      const events = after >= latest ? [] : await store.eventsAfter(after, EVENTS_PAGE_SIZE)
      res.json({ latest, events })
    } catch (err) {
      next(err)
    }
  })

  app.use((_req, res) => {
    res.status(404).json({ message: 'Not found' })
  })
  app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ message: 'An unexpected error occurred' })
  })
  return app
}
