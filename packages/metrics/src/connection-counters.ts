// Connection and request counters of the node's HTTP listeners, in the states nginx's
// stub_status reports and Kong exports as kong_nginx_connections_total{state}. Node parses a
// request head in one go, so a connection is either writing (a response in progress) or
// waiting (idle keep-alive); `reading` stays 0.

import type { Server } from 'node:http'

export interface ConnectionStats {
  accepted: number
  handled: number
  active: number
  reading: number
  writing: number
  waiting: number
  /** Requests served (nginx's "requests"; Kong's state="total"). */
  total: number
}

export class ConnectionCounters {
  private accepted = 0
  private active = 0
  private writing = 0
  private requests = 0

  /** Counts connections and requests of `server` from now on (several servers may share one). */
  watch(server: Server): this {
    server.on('connection', (socket: { once(event: 'close', l: () => void): unknown }) => {
      this.accepted++
      this.active++
      socket.once('close', () => this.active--)
    })
    server.on('request', (_req, res) => {
      this.requests++
      this.writing++
      res.once('close', () => this.writing--)
    })
    return this
  }

  stats(): ConnectionStats {
    return {
      accepted: this.accepted,
      handled: this.accepted,
      active: this.active,
      reading: 0,
      writing: this.writing,
      waiting: Math.max(0, this.active - this.writing),
      total: this.requests,
    }
  }
}
