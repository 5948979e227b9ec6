// Prints the top self-time frames of a V8 .cpuprofile (as written by node --cpu-prof), frames
// of the same function and location added up: `node --import tsx bench/lib/cpu-profile-top.ts
// <file.cpuprofile> [count=15]`.

import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export function topFrames(profile: Profile, count: number): Array<{ frame: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)
    const dt = profile.timeDeltas[i] ?? 0
    if (!node) continue
    const f = node.callFrame
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : ''
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: total > 0 ? us / total : 0 }))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: cpu-profile-top.ts <file.cpuprofile> [count]')
  const count = Number(process.argv[3] ?? 15)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  for (const [i, r] of topFrames(profile, count).entries()) {
    console.log(`${String(i + 1).padStart(2)}. ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.frame}`)
  }
}
