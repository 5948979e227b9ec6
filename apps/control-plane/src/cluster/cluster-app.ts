// The control plane's cluster endpoints (KONG_CLUSTER_LISTEN, :8005): `GET /v1/snapshot` (every
// entity, version and hash), `GET /v1/events?after=V` (outbox rows after V, oldest first;
// 410 when V is older than the retained outbox) and `GET /status` (newest version and hash).
// Every endpoint but /status requires `Authorization: Bearer <SWITCHYARD_CLUSTER_TOKEN>`.
// Every answer carries the database's cluster `epoch`: versions compare only within one.

import { isClusterPeer, type ClusterTls } from '@switchyard/cluster'
import type { Store } from '@switchyard/db'
import type { TLSSocket } from 'node:tls'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { timingSafeEqual } from 'node:crypto'
import { FreshRead } from './fresh-read.js'
import { OutboxTail } from './outbox-tail.js'
import { SnapshotCache, StatusCache, snapshotCacheFor } from './snapshot-cache.js'

export { SnapshotCache, StatusCache }

/** Most events one page carries; the follower asks again until it is caught up. */
export const EVENTS_PAGE_SIZE = 1000

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** How long a page stays shared; also bounds how long a backup restored in place could serve one. */
const PAGE_TTL_MS = 1000
const PAGES_KEPT = 64

/**
 * Serialised events pages shared by every follower asking for the same range: after a commit,
 * all followers ask `after=V` at once, and one database read and one JSON.stringify answer
 * them all. Keyed by the head each request read itself (epoch and newest version, read after
 * the request arrived), so a shared page always reaches what that request was told exists.
 */
class EventsPageCache {
  private readonly pages = new Map<string, { at: number; body: Promise<string> }>()

  constructor(
    private readonly store: Store,
    private readonly tail: OutboxTail
  ) {}

  /** The page from the tail alone, with no database read, when it holds it (OutboxTail.newest). */
  quick(after: number): Promise<string> | undefined {
    const page = this.tail.newest(after, EVENTS_PAGE_SIZE)
    if (!page) return undefined
    return this.cached(`${page.epoch}:${after}:${page.latest}`, () => Promise.resolve(JSON.stringify(page)))
  }

  get(epoch: string, after: number, latest: number): Promise<string> {
    this.tail.sawHead(epoch, latest)
    return this.cached(`${epoch}:${after}:${latest}`, () => {
      const held = this.tail.range(epoch, after, latest, EVENTS_PAGE_SIZE)
      if (held) return Promise.resolve(JSON.stringify({ epoch, latest, events: held }))
      return this.store.eventsAfter(after, EVENTS_PAGE_SIZE).then((events) => {
        this.tail.add(events, epoch)
        return JSON.stringify({ epoch, latest, events })
      })
    })
  }

  private cached(key: string, make: () => Promise<string>): Promise<string> {
    const now = Date.now()
    const hit = this.pages.get(key)
    if (hit && now - hit.at < PAGE_TTL_MS) return hit.body
    const body = make()
    // A failed read is not kept: the next request tries again.
    body.catch(() => this.pages.delete(key))
    this.pages.set(key, { at: now, body })
    for (const k of this.pages.keys()) {
      if (this.pages.size <= PAGES_KEPT) break
      this.pages.delete(k)
    }
    return body
  }
}

export interface ClusterAppOptions {
  /** Served over HTTPS with this shared certificate: clients must present it too. */
  tls?: ClusterTls | undefined
  snapshots?: SnapshotCache
  /** The newest events in memory; the control plane adds its own commits to it. */
  tail?: OutboxTail
}

export function createClusterApp(store: Store, token: string, opts: ClusterAppOptions = {}): Express {
  const snapshots = opts.snapshots ?? snapshotCacheFor(store)
  const status = new StatusCache(snapshots)
  const tls = opts.tls
  const pages = new EventsPageCache(store, opts.tail ?? new OutboxTail())
  const bounds = new FreshRead(() => store.outboxBounds())
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
    // Shared mode: only a node holding the cluster certificate gets config, token or not.
    if (tls && !isClusterPeer((req.socket as TLSSocket).getPeerCertificate?.(), tls)) {
      res.status(401).json({ message: 'Unauthorized: the cluster certificate is required' })
      return
    }
    if (!tokenMatches(req.headers.authorization, token)) {
      res.status(401).json({ message: 'Unauthorized' })
      return
    }
    next()
  })

  app.get('/v1/snapshot', async (_req, res, next) => {
    try {
      const snap = await snapshots.current()
      res.type('application/json').send(snap.body)
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
      // Usually the tail answers alone: the data planes ask right after this control plane's
      // commit, whose events it holds.
      const quick = pages.quick(after)
      if (quick) {
        res.type('application/json').send(await quick)
        return
      }
      const { epoch, version: latest, oldest } = await bounds.get()
      // Events after `after` are complete only if the next one is still retained.
      if (after < latest && oldest > after + 1) {
        res.status(410).json({ message: `version ${after} is older than the retained outbox`, oldest, epoch })
        return
      }
      if (after >= latest) {
        res.json({ epoch, latest, events: [] })
        return
      }
      res.type('application/json').send(await pages.get(epoch, after, latest))
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
