// CPU time of other processes from /proc/<pid>/stat (utime + stime, all threads, in clock
// ticks), so a proxy's cost is measured the same way whatever it is written in.

import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

let ticksPerSecond: number | undefined

function clkTck(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** Fields after the command name, which is in parentheses and may contain spaces. */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** CPU-seconds used so far by `pid`; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const f = statFields(pid)
    // After the command: state(0) ppid(1) … utime(11) stime(12).
    return (Number(f[11]) + Number(f[12])) / clkTck()
  } catch {
    return 0
  }
}

export function cpuSecondsOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0)
}

export function childPids(parent: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (Number(statFields(Number(name))[1]) === parent) out.push(Number(name))
    } catch {
      // exited while we looked
    }
  }
  return out
}

export function procAvailable(): boolean {
  try {
    statFields(process.pid)
    return true
  } catch {
    return false
  }
}
