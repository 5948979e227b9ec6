// Shared helpers of the health end-to-end tests: requests through a data plane that report
// which upstream server answered (test-kit servers send `x-upstream`).

import http from 'node:http'

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

/** Closes the shared keep-alive agent; call from the test file's after(). */
export function closeAgent(): void {
  agent.destroy()
}

/** One GET through a data plane: the status and which upstream server answered. */
export function get(base: string, path: string): Promise<{ status: number; upstream: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { agent, timeout: 5000 }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, upstream: res.headers['x-upstream'] as string | undefined }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${base}${path} timed out`)))
    req.on('error', reject)
  })
}

/** Which servers `n` sequential requests to `path` through one data plane reached. */
export async function spread(base: string, path: string, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const r = await get(base, path)
    const key = r.status === 200 ? (r.upstream ?? '?') : `status ${r.status}`
    seen[key] = (seen[key] ?? 0) + 1
  }
  return seen
}
