// Every process a bench starts is registered here so that one exit path (normal end, error,
// Ctrl-C or the watchdog) stops them all by pid; a bench never leaves a server behind.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

const live = new Set<ChildProcess>()
const extraStops: Array<() => void> = []

export function track(child: ChildProcess): ChildProcess {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return track(spawn(cmd, args, opts))
}

/** For processes that are not our direct children (nginx workers), stopped on exit too. */
export function onCleanup(stop: () => void): void {
  extraStops.push(stop)
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** SIGTERM, then SIGKILL after `graceMs` if it is still there. */
export async function stop(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited(child)
  clearTimeout(timer)
}

function killAllNow(): void {
  for (const s of extraStops.splice(0)) {
    try {
      s()
    } catch {
      // already gone
    }
  }
  for (const c of live) c.kill('SIGKILL')
}

export async function stopAll(): Promise<void> {
  for (const s of extraStops.splice(0)) {
    try {
      s()
    } catch {
      // already gone
    }
  }
  await Promise.all([...live].map((c) => stop(c)))
}

let installed = false
/** Kills every tracked child on any way out, and after `maxMs` at the latest. */
export function installCleanup(maxMs: number): void {
  if (installed) return
  installed = true
  process.once('exit', killAllNow)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAllNow()
      process.exit(130)
    })
  }
  const watchdog = setTimeout(() => {
    console.error(`bench: exceeded ${Math.round(maxMs / 1000)} s, stopping`)
    killAllNow()
    process.exit(1)
  }, maxMs)
  watchdog.unref()
}
