// Resident memory of other processes from /proc/<pid>/status (VmRSS), summed over pids, so a
// proxy's footprint is read the same way whatever it is written in.

import { readFileSync } from 'node:fs'

/** Resident set size of `pid` in bytes; 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : 0
  } catch {
    return 0
  }
}

export function rssBytesOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + rssBytes(pid), 0)
}
