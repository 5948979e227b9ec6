// Checks docker-compose.yml and the files it mounts without a Docker engine: the YAML parses,
// keys are ones the Compose specification knows (what `docker compose config` would reject),
// the services, images, health checks and start order are there, every environment variable
// is one the app's config module reads, data planes can be scaled, Prometheus scrapes both
// roles, and Grafana provisions its datasource and Kong's dashboard, byte-identical to shared/.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { posix } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'

const ROOT = new URL('..', import.meta.url).pathname
const read = (path: string) => readFileSync(ROOT + path, 'utf8')
/** Parses YAML strictly: duplicate keys and anything else the parser flags are errors. */
const yaml = (path: string) => parse(read(path), { strict: true, uniqueKeys: true }) as Record<string, any>

const compose = yaml('docker-compose.yml')
const services = compose['services'] as Record<string, Record<string, any>>
const SHARED_DASHBOARD = ROOT + '../shared/anchors/grafana/kong-official.json'
const DASHBOARD = 'deploy/grafana/dashboards/kong-official.json'

const TOP_LEVEL = new Set(['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets'])
// The Compose specification's service keys this file may reasonably use; a typo fails here.
const SERVICE_KEYS = new Set([
  'build', 'command', 'container_name', 'depends_on', 'entrypoint', 'env_file', 'environment',
  'expose', 'extra_hosts', 'healthcheck', 'image', 'init', 'labels', 'logging', 'networks',
  'ports', 'profiles', 'restart', 'stop_grace_period', 'stop_signal', 'ulimits', 'user',
  'volumes', 'working_dir', 'deploy', 'pull_policy', 'tmpfs',
])
const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'])
const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/

/** `environment:` as a map, whichever of the two Compose syntaxes it uses. */
function env(service: string): Record<string, string> {
  const e = services[service]?.['environment'] ?? {}
  if (Array.isArray(e)) {
    return Object.fromEntries(e.map((s: string) => [s.split('=')[0]!, s.slice(s.indexOf('=') + 1)]))
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]))
}

/** The host port of a `ports:` entry, or undefined when Docker picks one. */
function hostPort(entry: unknown): string | undefined {
  if (typeof entry === 'object' && entry !== null) {
    const published = (entry as Record<string, unknown>)['published']
    return published === undefined || published === '' ? undefined : String(published)
  }
  const parts = String(entry).replace(/\/(tcp|udp)$/, '').split(':')
  return parts.length >= 2 ? parts[parts.length - 2] || undefined : undefined
}

function containerPort(entry: unknown): number {
  if (typeof entry === 'object' && entry !== null) return Number((entry as Record<string, unknown>)['target'])
  return Number(String(entry).replace(/\/(tcp|udp)$/, '').split(':').pop())
}

/** Every name `env['NAME']` an app's config module reads. */
function configEnvNames(app: string): Set<string> {
  const source = read(`apps/${app}/src/config.ts`)
  return new Set([...source.matchAll(/env\['([A-Z0-9_]+)'\]/g)].map((m) => m[1]!))
}

function port(listen: string): number {
  return Number(listen.split(':').pop())
}

/** `[host path, container path, mode]` of each bind mount. */
function mounts(service: string): Array<[string, string, string | undefined]> {
  return (services[service]?.['volumes'] ?? []).map((v: string) => {
    const [host, container, mode] = v.split(':')
    return [host!, container!, mode]
  })
}

function healthcheckText(service: string): string {
  const t = services[service]?.['healthcheck']?.['test']
  return Array.isArray(t) ? t.join(' ') : String(t)
}

test('docker-compose.yml uses only keys of the Compose specification', () => {
  for (const key of Object.keys(compose)) {
    assert.ok(TOP_LEVEL.has(key) || key.startsWith('x-'), `unknown top-level key ${key}`)
  }
  const namedVolumes = new Set(Object.keys(compose['volumes'] ?? {}))
  for (const [name, svc] of Object.entries(services)) {
    for (const key of Object.keys(svc)) assert.ok(SERVICE_KEYS.has(key), `${name}: unknown key ${key}`)
    assert.ok(svc['image'] || svc['build'], `${name} has neither image nor build`)
    for (const [k, v] of Object.entries(env(name))) {
      assert.match(k, /^[A-Za-z_][A-Za-z0-9_]*$/, `${name}: environment name ${k}`)
      assert.equal(typeof v, 'string', `${name}.${k} must be a scalar`)
    }
    for (const p of svc['ports'] ?? []) assert.ok(Number.isInteger(containerPort(p)), `${name}: port ${p}`)
    for (const v of svc['volumes'] ?? []) {
      const source = String(v).split(':')[0]!
      if (source.startsWith('.') || source.startsWith('/')) {
        assert.ok(existsSync(posix.join(ROOT, source)), `${name} mounts ${source}, which does not exist`)
      } else {
        assert.ok(namedVolumes.has(source), `${name} uses volume ${source}, not declared at the top level`)
      }
    }
    const hc = svc['healthcheck']
    if (hc) {
      for (const key of Object.keys(hc)) assert.ok(HEALTHCHECK_KEYS.has(key), `${name}.healthcheck: unknown ${key}`)
      assert.ok(Array.isArray(hc.test) && ['CMD', 'CMD-SHELL'].includes(hc.test[0]), `${name}: healthcheck test form`)
      for (const key of ['interval', 'timeout', 'start_period']) {
        if (hc[key] !== undefined) assert.match(String(hc[key]), DURATION, `${name}.healthcheck.${key}`)
      }
    }
    for (const [dep, spec] of Object.entries(svc['depends_on'] ?? {})) {
      assert.ok(services[dep], `${name} depends on unknown service ${dep}`)
      const condition = (spec as { condition?: string }).condition
      assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition!))
      if (condition === 'service_healthy') assert.ok(services[dep]!['healthcheck'], `${dep} has no healthcheck`)
    }
  }
})

test('the services, their images and health checks', () => {
  for (const name of ['postgres', 'redis', 'control-plane', 'data-plane', 'prometheus', 'grafana']) {
    assert.ok(services[name], `service ${name} missing`)
    assert.ok(services[name]!['healthcheck'], `${name} has no healthcheck`)
  }
  assert.match(services['postgres']!['image'], /^postgres:16/)
  assert.match(healthcheckText('postgres'), /pg_isready/)
  assert.match(services['redis']!['image'], /^redis:7/)
  assert.match(healthcheckText('redis'), /redis-cli ping/)
  assert.match(services['prometheus']!['image'], /^prom\/prometheus:/)
  assert.match(services['grafana']!['image'], /^grafana\/grafana(-oss)?:/)
})

test('control plane and data plane run the one image built from the Dockerfile', () => {
  const dockerfile = read('Dockerfile')
  assert.match(dockerfile, /^FROM node:20-slim/m)
  assert.match(dockerfile, /npm ci\b/)
  assert.match(dockerfile, /ENTRYPOINT \["sh", "scripts\/docker-entrypoint\.sh"\]/)
  const entrypoint = read('scripts/docker-entrypoint.sh')
  // The image runs compiled mains (npm run build); their sources must exist to be compiled.
  for (const [role, app] of [
    ['control_plane', 'apps/control-plane'],
    ['data_plane', 'apps/data-plane'],
    ['traditional', 'apps/gateway'],
  ]) {
    assert.match(entrypoint, new RegExp(`${role}\\) main=${app}/dist/main\\.js`), `entrypoint maps ${role}`)
    assert.ok(existsSync(`${ROOT}${app}/src/main.ts`), `${app}/src/main.ts exists`)
  }
  assert.match(entrypoint, /exec node --conditions=switchyard-dist "\$main"/)
  assert.match(dockerfile, /npm ci --omit=dev\b/, 'the runtime stage has production dependencies only')
  assert.match(dockerfile, /npm run build\b/)
  const cp = services['control-plane']!
  const dp = services['data-plane']!
  assert.equal(cp['image'], dp['image'])
  for (const svc of [cp, dp]) {
    const context = typeof svc['build'] === 'string' ? svc['build'] : svc['build']?.context
    assert.equal(context, '.')
  }
  assert.ok(existsSync(ROOT + '.dockerignore'))
  assert.match(read('.dockerignore'), /node_modules/)
})

test('environment: roles, and only variables the apps read', () => {
  const cp = env('control-plane')
  const dp = env('data-plane')
  assert.equal(cp['KONG_ROLE'], 'control_plane')
  assert.equal(dp['KONG_ROLE'], 'data_plane')
  // KONG_ROLE is read by the entrypoint (data plane) and by the control plane's config.
  const cpNames = configEnvNames('control-plane')
  const dpNames = new Set([...configEnvNames('data-plane'), 'KONG_ROLE'])
  for (const k of Object.keys(cp)) assert.ok(cpNames.has(k), `control-plane: ${k} is not read by its config`)
  for (const k of Object.keys(dp)) assert.ok(dpNames.has(k), `data-plane: ${k} is not read by its config`)

  assert.ok(cp['DATABASE_URL'] || cp['KONG_PG_HOST'] === 'postgres', 'control plane points at the postgres service')
  if (cp['KONG_PG_PASSWORD']) assert.equal(cp['KONG_PG_PASSWORD'], env('postgres')['POSTGRES_PASSWORD'])
  for (const e of [cp, dp]) {
    assert.match(e['REDIS_URL']!, /^redis:\/\/redis:6379/)
    assert.ok(e['SWITCHYARD_CLUSTER_TOKEN'])
  }
  assert.equal(cp['SWITCHYARD_CLUSTER_TOKEN'], dp['SWITCHYARD_CLUSTER_TOKEN'], 'one cluster token')
  // The data plane reaches the control plane's cluster listener by service name.
  assert.equal(dp['KONG_CLUSTER_CONTROL_PLANE'], `control-plane:${port(cp['KONG_CLUSTER_LISTEN']!)}`)
  for (const listen of [cp['KONG_ADMIN_LISTEN'], cp['KONG_CLUSTER_LISTEN'], dp['KONG_PROXY_LISTEN'], dp['KONG_STATUS_LISTEN']]) {
    assert.match(listen!, /^0\.0\.0\.0:\d+$/, 'listeners must accept connections from other containers')
  }
})

test('start order: control plane after postgres and redis, data planes after the control plane', () => {
  const healthy = (svc: string, dep: string) =>
    assert.equal(services[svc]!['depends_on']?.[dep]?.condition, 'service_healthy', `${svc} waits for ${dep}`)
  healthy('control-plane', 'postgres')
  healthy('control-plane', 'redis')
  healthy('data-plane', 'control-plane')
  healthy('data-plane', 'redis')
  healthy('grafana', 'prometheus')
  assert.match(healthcheckText('control-plane'), new RegExp(`:${port(env('control-plane')['KONG_CLUSTER_LISTEN']!)}/status`))
  assert.match(healthcheckText('data-plane'), new RegExp(`:${port(env('data-plane')['KONG_STATUS_LISTEN']!)}/status`))
})

test('ports: control plane fixed on loopback, data planes scalable', () => {
  const cpPorts = services['control-plane']!['ports'] as string[]
  for (const listen of ['KONG_ADMIN_LISTEN', 'KONG_CLUSTER_LISTEN']) {
    const p = port(env('control-plane')[listen]!)
    const entry = cpPorts.find((e) => containerPort(e) === p)
    assert.ok(entry, `control-plane publishes ${p}`)
    assert.match(String(entry), /^127\.0\.0\.1:/, 'the Admin API has no auth: loopback only on the host')
  }
  const dpPorts = services['data-plane']!['ports'] as unknown[]
  assert.ok(dpPorts.some((e) => containerPort(e) === port(env('data-plane')['KONG_PROXY_LISTEN']!)))
  for (const e of dpPorts) {
    assert.equal(hostPort(e), undefined, `data-plane port ${JSON.stringify(e)} fixes a host port: --scale would fail`)
  }
  assert.equal(services['data-plane']!['container_name'], undefined, 'a container_name prevents scaling')
  const status = dpPorts.find((e) => containerPort(e) === port(env('data-plane')['KONG_STATUS_LISTEN']!))
  assert.match(String(status), /^127\.0\.0\.1:/, 'the status port serves /metrics: loopback only on the host')
})

test('prometheus scrapes the control plane and every data plane replica', () => {
  const prom = services['prometheus']!
  const mount = mounts('prometheus').find(([host]) => host === './deploy/prometheus/prometheus.yml')
  assert.ok(mount, 'prometheus mounts deploy/prometheus/prometheus.yml')
  assert.equal(mount[2], 'ro')
  assert.ok((prom['command'] as string[]).includes(`--config.file=${mount[1]}`))

  const config = yaml('deploy/prometheus/prometheus.yml')
  const jobs = config['scrape_configs'] as Array<Record<string, any>>
  const names = jobs.map((j) => j['job_name'])
  assert.equal(new Set(names).size, names.length, 'job names are unique')
  const adminPort = port(env('control-plane')['KONG_ADMIN_LISTEN']!)
  const statusPort = port(env('data-plane')['KONG_STATUS_LISTEN']!)

  const cpJob = jobs.find((j) =>
    (j['static_configs'] ?? []).some((s: { targets: string[] }) => s.targets.includes(`control-plane:${adminPort}`))
  )
  assert.ok(cpJob, `a job scrapes control-plane:${adminPort}`)
  assert.equal(cpJob['metrics_path'] ?? '/metrics', '/metrics')

  const dpJob = jobs.find((j) => (j['dns_sd_configs'] ?? []).length > 0)
  assert.ok(dpJob, 'a job discovers data planes through DNS')
  assert.equal(dpJob['metrics_path'] ?? '/metrics', '/metrics')
  const sd = dpJob['dns_sd_configs'][0]
  assert.ok(sd.names.some((n: string) => n === 'data-plane' || n === 'tasks.data-plane'))
  assert.equal(sd.type ?? 'SRV', 'A', 'A records carry no port, so `port` must be set')
  assert.equal(sd.port, statusPort)
})

test('grafana provisions the Prometheus datasource and loads the dashboard file', () => {
  const provisioning = mounts('grafana').find(([, container]) => container === '/etc/grafana/provisioning')
  assert.ok(provisioning, 'grafana mounts its provisioning directory')
  const dir = provisioning[0].replace(/^\.\//, '')

  const datasources = yaml(`${dir}/datasources/prometheus.yml`)['datasources'] as Array<Record<string, any>>
  const ds = datasources.find((d) => d['type'] === 'prometheus')
  assert.ok(ds, 'a prometheus datasource')
  assert.equal(ds['url'], 'http://prometheus:9090')
  // Kong's dashboard selects its datasource with the variable DS_PROMETHEUS; its default
  // must name this datasource, since the file is loaded unchanged.
  const dashboard = JSON.parse(read(DASHBOARD))
  const variable = dashboard.templating.list.find((v: { name: string }) => v.name === 'DS_PROMETHEUS')
  assert.equal(variable.type, 'datasource')
  assert.equal(variable.current.value, ds['name'])

  const providers = yaml(`${dir}/dashboards/switchyard.yml`)['providers'] as Array<Record<string, any>>
  const file = providers.find((p) => p['type'] === 'file')
  assert.ok(file, 'a file dashboards provider')
  const dashboardMount = mounts('grafana').find(([host]) => host === `./${DASHBOARD}`)
  assert.ok(dashboardMount, `grafana mounts ./${DASHBOARD}`)
  assert.equal(dashboardMount[2], 'ro')
  assert.equal(posix.dirname(dashboardMount[1]), file['options']['path'], 'the provider reads the mounted file')
})

test("the dashboard is Kong's official one, byte for byte", () => {
  // shared/ sits beside the checkout for developers and CI alike: its absence is a failure.
  assert.ok(existsSync(SHARED_DASHBOARD), `${SHARED_DASHBOARD} is missing (shared/ must sit beside the checkout)`)
  assert.ok(readFileSync(ROOT + DASHBOARD).equals(readFileSync(SHARED_DASHBOARD)), `${DASHBOARD} differs from shared/`)
})
