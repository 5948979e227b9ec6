// Checks every workspace package.json (and the imports in its sources) against DESIGN.md's
// dependency rules: apps never import apps (except the gateway, the composition root),
// packages never import apps, leaves stay leaves, the data plane never touches the database,
// and each I/O library is owned by one workspace.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

const ROOT = new URL('..', import.meta.url).pathname

interface Workspace {
  dir: string
  name: string
  deps: string[]
  imports: Set<string>
}

function sourceImports(dir: string): Set<string> {
  const found = new Set<string>()
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const full = join(d, n)
      if (statSync(full).isDirectory()) walk(full)
      else if (n.endsWith('.ts') && !n.endsWith('.test.ts') && n !== 'test-fixtures.ts' && n !== 'test-helpers.ts') {
        for (const m of readFileSync(full, 'utf8').matchAll(/from '([^'.][^']*)'/g)) {
          const spec = m[1]!
          found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
        }
      }
    }
  }
  walk(join(dir, 'src'))
  return found
}

function workspaces(): Workspace[] {
  const out: Workspace[] = []
  for (const group of ['apps', 'packages']) {
    for (const n of readdirSync(join(ROOT, group))) {
      const dir = join(ROOT, group, n)
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      out.push({
        dir: `${group}/${n}`,
        name: pkg.name,
        deps: Object.keys(pkg.dependencies ?? {}),
        imports: sourceImports(dir),
      })
    }
  }
  return out
}

const OWNERS: Record<string, string[]> = {
  ajv: ['packages/entities'],
  'drizzle-orm': ['packages/db'],
  pg: ['packages/db'],
  '@electric-sql/pglite': ['packages/db'],
  ioredis: ['packages/cluster', 'packages/health'],
  'prom-client': ['packages/metrics'],
  express: ['apps/control-plane'],
  undici: ['apps/data-plane'],
  'http-proxy': ['apps/data-plane'],
}
const LEAVES = ['packages/entities', 'packages/balancer', 'packages/ai']

const all = workspaces()
const byName = new Map(all.map((w) => [w.name, w]))

test('apps never import apps, except the gateway composition root', () => {
  for (const w of all) {
    if (w.dir === 'apps/gateway') continue
    for (const d of [...w.deps, ...w.imports]) {
      const target = byName.get(d)
      assert.ok(!target?.dir.startsWith('apps/'), `${w.dir} imports app ${d}`)
    }
  }
})

test('leaves import no workspace package', () => {
  for (const w of all.filter((x) => LEAVES.includes(x.dir))) {
    for (const d of [...w.deps, ...w.imports]) assert.ok(!byName.has(d), `${w.dir} imports ${d}`)
  }
})

test('the data plane never depends on the database', () => {
  const dp = all.find((w) => w.dir === 'apps/data-plane')!
  for (const banned of ['@switchyard/db', 'pg', '@electric-sql/pglite', 'drizzle-orm']) {
    assert.ok(!dp.deps.includes(banned) && !dp.imports.has(banned), `data plane uses ${banned}`)
  }
})

test('each I/O library is owned by its workspace only', () => {
  // test-kit is dev-only: it opens real Postgres/Redis connections to set up test databases.
  for (const w of all.filter((x) => x.dir !== 'packages/test-kit')) {
    for (const d of [...w.deps, ...w.imports]) {
      const owners = OWNERS[d]
      if (owners) assert.ok(owners.includes(w.dir), `${w.dir} uses ${d}, owned by ${owners.join(', ')}`)
    }
  }
})

test('workspace imports are declared dependencies', () => {
  for (const w of all) {
    for (const i of w.imports) {
      if (byName.has(i)) assert.ok(w.deps.includes(i), `${w.dir} imports ${i} without declaring it`)
    }
  }
})

test('no dependency cycles between workspaces', () => {
  const visiting = new Set<string>()
  const done = new Set<string>()
  const visit = (name: string, path: string[]) => {
    if (done.has(name)) return
    assert.ok(!visiting.has(name), `cycle: ${[...path, name].join(' -> ')}`)
    visiting.add(name)
    for (const d of byName.get(name)?.deps ?? []) if (byName.has(d)) visit(d, [...path, name])
    visiting.delete(name)
    done.add(name)
  }
  for (const w of all) visit(w.name, [])
})
