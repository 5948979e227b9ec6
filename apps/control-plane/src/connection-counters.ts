// Connection and request counters for `/status`, in the shape of nginx's stub_status that
// Kong reports: accepted, active, handled, reading, writing, waiting, total_requests.

import type { Server } from 'node:http'
import type { ServerCounters } from './routes/root.js'

export class ConnectionCounters {
  private accepted = 0
  private active = 0
  private writing = 0
  private requests = 0

  /** Counts connections and requests of `server` from now on. */
  watch(server: Server): void {
    server.on('connection', (socket) => {
      this.accepted++
      this.active++
      socket.once('close', () => this.active--)
    })
    server.on('request', (_req, res) => {
      this.requests++
      this.writing++
      res.once('close', () => this.writing--)
    })
  }

  snapshot(): ServerCounters {
    return {
      connections_accepted: this.accepted,
      connections_active: this.active,
      connections_handled: this.accepted,
      // Node parses a request head in one go; a connection is either writing or waiting.
      connections_reading: 0,
      connections_writing: this.writing,
      connections_waiting: Math.max(0, this.active - this.writing),
      total_requests: this.requests,
    }
  }
}
