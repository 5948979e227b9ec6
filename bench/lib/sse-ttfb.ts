// Time to first byte of a server-sent-events stream: from sending the request to the first
// body chunk (the first `data:` event), over one keep-alive connection, streams one at a time.

import http from 'node:http'

function oneStream(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let ttfb = -1
    const req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.on('data', () => {
        if (ttfb < 0) ttfb = performance.now() - t0
      })
      res.once('end', () => (ttfb < 0 ? reject(new Error(`empty stream from ${url}`)) : resolve(ttfb)))
      res.once('error', reject)
    })
    req.once('error', reject)
  })
}

export interface TtfbResult {
  p50Ms: number
  p90Ms: number
  samples: number
}

export async function sseTtfb(url: string, streams: number, warmup = 30): Promise<TtfbResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < warmup; i++) await oneStream(url, agent)
    const samples: number[] = []
    for (let i = 0; i < streams; i++) samples.push(await oneStream(url, agent))
    samples.sort((a, b) => a - b)
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0
    return { p50Ms: at(0.5), p90Ms: at(0.9), samples: samples.length }
  } finally {
    agent.destroy()
  }
}
