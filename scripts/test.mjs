#!/usr/bin/env node
// Runs every *.test.ts under the given folders (or the given test files) (default: apps, packages, test) with node's
// built-in runner and tsx, so CI reads one summary. Node 20's --test takes no globs, hence this file.
// Files named *.case.test.ts are shared suites imported by other tests, not run on their own.
import { readdirSync, statSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'))
const here = process.cwd()
const searchRoots = roots.length > 0 ? roots : ['packages', 'apps', 'test']

function walk(dir, out) {
  if (!existsSync(dir)) return out
  // A single test file given on the command line runs on its own.
  if (!statSync(dir).isDirectory()) {
    if (dir.endsWith('.test.ts')) out.push(dir)
    return out
  }
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) walk(full, out)
    else if (name.endsWith('.test.ts') && !name.endsWith('.case.test.ts')) out.push(full)
  }
  return out
}

const files = searchRoots.flatMap((r) => walk(resolve(here, r), [])).sort()
if (files.length === 0) {
  console.error('no test files found under', searchRoots.join(', '))
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } }
)
process.exit(result.status ?? 1)
