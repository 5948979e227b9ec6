// Finding system tools, and installing the Debian package when missing and running as root
// (the machines this project runs on are Debian, and CI runs as root). Anywhere else the
// caller gets `undefined` and prints that the case was skipped.

import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export function which(binary: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin']
  for (const dir of dirs) {
    if (!dir) continue
    const full = join(dir, binary)
    try {
      accessSync(full, constants.X_OK)
      return full
    } catch {
      // not here
    }
  }
  return undefined
}

function aptInstall(pkg: string): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const run = (args: string[]) => spawnSync('apt-get', args, { env, stdio: 'ignore', timeout: 300_000 }).status === 0
  return run(['install', '-y', '-q', pkg]) || (run(['update', '-q']) && run(['install', '-y', '-q', pkg]))
}

const SYSTEM_NGINX_PID = '/run/nginx.pid'

/** The binary's path, installing `pkg` with apt-get first when missing and allowed. */
export function ensureTool(binary: string, pkg: string): { path?: string; note: string } {
  const found = which(binary)
  if (found) return { path: found, note: 'found' }
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    return { note: `${binary} not installed and not root: skipped (apt-get install ${pkg})` }
  }
  process.stdout.write(`installing ${pkg} with apt-get … `)
  const hadSystemNginx = existsSync(SYSTEM_NGINX_PID)
  const ok = aptInstall(pkg)
  console.log(ok ? 'done' : 'failed')
  // Debian's nginx package starts the system service on install; that one is not ours to keep.
  if (binary === 'nginx' && !hadSystemNginx) stopSystemNginx()
  const path = which(binary)
  return path ? { path, note: 'installed' } : { note: `apt-get install ${pkg} failed: skipped` }
}

function stopSystemNginx(): void {
  if (!existsSync(SYSTEM_NGINX_PID)) return
  const pid = Number(readFileSync(SYSTEM_NGINX_PID, 'utf8').trim())
  if (!(pid > 0)) return
  try {
    process.kill(pid, 'SIGQUIT')
  } catch {
    // not running
  }
}

export function versionOf(binary: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(binary, args, { encoding: 'utf8' })
  const m = pattern.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)
  return m?.[1] ?? '?'
}
