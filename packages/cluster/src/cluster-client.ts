// The data plane's HTTP client for the control plane's cluster endpoints, with the bearer
// cluster token. Responses are validated before use.

import type { EventsPage, FollowerSource } from './follower.js'
import { isConfigEvent } from './follower.js'
import { isEpoch } from './notices.js'
import { ENTITY_KINDS, type Snapshot } from './types.js'

const REQUEST_TIMEOUT_MS = 5000

export class ClusterClient implements FollowerSource {
  private readonly base: string

  constructor(
    controlPlane: string,
    private readonly token: string
  ) {
    this.base = controlPlane.startsWith('http') ? controlPlane.replace(/\/$/, '') : `http://${controlPlane}`
  }

  private async get(path: string): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
  }

  async snapshot(): Promise<Snapshot> {
    const res = await this.get('/v1/snapshot')
    if (res.status !== 200) throw new Error(`snapshot failed with status ${res.status}`)
    const body = (await res.json()) as Partial<Snapshot>
    if (typeof body.version !== 'number' || !body.entities) throw new Error('malformed snapshot')
    if (!isEpoch(body.epoch)) throw new Error('malformed snapshot: epoch')
    for (const kind of ENTITY_KINDS) {
      if (!Array.isArray(body.entities[kind])) throw new Error(`malformed snapshot: ${kind}`)
    }
    return { epoch: body.epoch, version: body.version, entities: body.entities }
  }

  async eventsAfter(version: number): Promise<EventsPage> {
    const res = await this.get(`/v1/events?after=${version}`)
    if (res.status === 410) {
      await res.body?.cancel()
      return { ok: false, gone: true }
    }
    if (res.status !== 200) throw new Error(`events failed with status ${res.status}`)
    const body = (await res.json()) as { latest?: unknown; events?: unknown; epoch?: unknown }
    if (typeof body.latest !== 'number' || !Array.isArray(body.events)) throw new Error('malformed events page')
    if (!isEpoch(body.epoch)) throw new Error('malformed events page: epoch')
    return { ok: true, epoch: body.epoch, latest: body.latest, events: body.events.filter(isConfigEvent) }
  }
}
