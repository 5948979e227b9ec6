// The data plane's HTTP client for the control plane's cluster endpoints, with the bearer
// cluster token, over HTTPS with the shared cluster certificate (see cluster-tls.ts) or plain
// HTTP when the node is configured so. Responses are validated before use.

import http from 'node:http'
import https from 'node:https'
import type { EventsPage, FollowerSource } from './follower.js'
import { isConfigEvent } from './follower.js'
import { CLUSTER_SERVER_NAME, isClusterPeer, type ClusterTls } from './cluster-tls.js'
import { isEpoch } from './notices.js'
import { ENTITY_KINDS, type Snapshot } from './types.js'

const REQUEST_TIMEOUT_MS = 5000
/** Snapshots of 10,000 targets are a few MB; anything far beyond is not our control plane. */
const MAX_BODY_BYTES = 256 << 20

interface Answer {
  status: number
  body: string
}

export class ClusterClient implements FollowerSource {
  private readonly base: URL
  private readonly agent: http.Agent

  constructor(
    controlPlane: string,
    private readonly token: string,
    tls?: ClusterTls
  ) {
    const scheme = tls ? 'https' : 'http'
    this.base = new URL(/^https?:\/\//.test(controlPlane) ? controlPlane : `${scheme}://${controlPlane}`)
    if (tls && this.base.protocol !== 'https:') throw new Error('KONG_CLUSTER_CONTROL_PLANE names http:// but a cluster certificate is set')
    if (!tls && this.base.protocol === 'https:') throw new Error('KONG_CLUSTER_CONTROL_PLANE names https:// but no cluster certificate is set')
    this.agent = tls
      ? new https.Agent({
          keepAlive: true,
          // Shared mode: the control plane must present our own certificate (chain to it and
          // the same fingerprint); host names do not matter, as in Kong.
          ca: [tls.cert],
          cert: tls.cert,
          key: tls.key,
          servername: CLUSTER_SERVER_NAME,
          checkServerIdentity: (_host, peer) =>
            isClusterPeer(peer, tls) ? undefined : new Error('the control plane did not present the cluster certificate'),
        })
      : new http.Agent({ keepAlive: true })
  }

  private get(path: string): Promise<Answer> {
    const url = new URL(path, this.base)
    const mod = url.protocol === 'https:' ? https : http
    return new Promise((resolve, reject) => {
      const req = mod.get(
        url,
        { agent: this.agent, headers: { authorization: `Bearer ${this.token}` }, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > MAX_BODY_BYTES) req.destroy(new Error('cluster answer too large'))
            else chunks.push(c)
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        }
      )
      req.on('timeout', () => req.destroy(new Error(`cluster request timed out after ${REQUEST_TIMEOUT_MS} ms`)))
      req.on('error', reject)
    })
  }

  async snapshot(): Promise<Snapshot> {
    const res = await this.get('/v1/snapshot')
    if (res.status !== 200) throw new Error(`snapshot failed with status ${res.status}`)
    const body = JSON.parse(res.body) as Partial<Snapshot>
    if (typeof body.version !== 'number' || !body.entities) throw new Error('malformed snapshot')
    if (!isEpoch(body.epoch)) throw new Error('malformed snapshot: epoch')
    for (const kind of ENTITY_KINDS) {
      if (!Array.isArray(body.entities[kind])) throw new Error(`malformed snapshot: ${kind}`)
    }
    return { epoch: body.epoch, version: body.version, entities: body.entities }
  }

  async eventsAfter(version: number): Promise<EventsPage> {
    const res = await this.get(`/v1/events?after=${version}`)
    if (res.status === 410) return { ok: false, gone: true }
    if (res.status !== 200) throw new Error(`events failed with status ${res.status}`)
    const body = JSON.parse(res.body) as { latest?: unknown; events?: unknown; epoch?: unknown }
    if (typeof body.latest !== 'number' || !Array.isArray(body.events)) throw new Error('malformed events page')
    if (!isEpoch(body.epoch)) throw new Error('malformed events page: epoch')
    return { ok: true, epoch: body.epoch, latest: body.latest, events: body.events.filter(isConfigEvent) }
  }

  close(): void {
    this.agent.destroy()
  }
}
