import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RouteConfig, ServiceConfig } from './route-types.js'
import { buildRouter, type RouteRequest } from './router.js'
import { serviceConfig } from './test-fixtures.js'

const service = serviceConfig

function route(id: string, over: Partial<RouteConfig> = {}): RouteConfig {
  return {
    id,
    name: id,
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    snis: null,
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    path_handling: 'v0',
    https_redirect_status_code: 426,
    service: { id: 's1' },
    created_at: 1700000000,
    ...over,
  }
}

function request(over: Partial<RouteRequest> = {}): RouteRequest {
  return { method: 'GET', host: 'example.test', path: '/', headers: {}, protocol: 'http', ...over }
}

/** Id of the route `req` matches among `routes`, or null. */
function matchedId(routes: RouteConfig[], req: Partial<RouteRequest>): string | null {
  return buildRouter(routes, [service()]).match(request(req))?.route.id ?? null
}

describe('router attribute matching', () => {
  // [route hosts, Host header, matches, request scheme]
  const hosts: [string[], string | undefined, boolean, ('http' | 'https')?][] = [
    [['example.test'], 'example.test', true],
    [['Example.TEST'], 'EXAMPLE.test', true],
    [['example.test'], 'example.test:8000', true],
    [['example.test'], 'other.test', false],
    [['example.test'], undefined, false],
    [['*.example.test'], 'api.example.test', true],
    [['*.example.test'], 'a.b.example.test', true],
    [['*.example.test'], 'example.test', false],
    [['*.example.test'], 'a.example.test:9000', true],
    [['example.*'], 'example.co.uk', true],
    [['example.*'], 'www.example.org', false],
    [['example.test:8000'], 'example.test:8000', true],
    [['example.test:8000'], 'example.test:8001', false],
    [['example.test:8000'], 'example.test', false],
    [['example.test:80'], 'example.test', true],
    [['example.test:443'], 'example.test', true, 'https'],
    [['example.test:443'], 'example.test', false, 'http'],
    [['*.example.test:8443'], 'a.example.test:8443', true],
    [['*.example.test:8443'], 'a.example.test', false],
    [['[::1]:8000'], '[::1]:8000', true],
    [['a.test', 'b.test'], 'b.test', true],
  ]
  for (const [routeHosts, host, hit, protocol = 'http'] of hosts) {
    it(`hosts ${routeHosts.join(',')} vs ${host} over ${protocol}: ${hit}`, () => {
      const r = route('r', { hosts: routeHosts })
      assert.equal(matchedId([r], { host, protocol }), hit ? 'r' : null)
    })
  }

  // [route methods, request method, matches]: exact upper-case tokens
  const methods: [string[], string, boolean][] = [
    [['GET', 'POST'], 'POST', true],
    [['GET', 'POST'], 'DELETE', false],
    [['GET'], 'get', false],
  ]
  for (const [routeMethods, method, hit] of methods) {
    it(`methods ${routeMethods.join(',')} vs ${method}: ${hit}`, () => {
      assert.equal(matchedId([route('r', { methods: routeMethods })], { method }), hit ? 'r' : null)
    })
  }

  // [route headers, request headers, matches]: every name present with one of its values
  const headers: [Record<string, string[]>, RouteRequest['headers'], boolean][] = [
    [{ 'X-Version': ['v1', 'V2'] }, { 'x-version': 'V1' }, true],
    [{ 'X-Version': ['v1', 'V2'] }, { 'x-version': 'v2' }, true],
    [{ 'X-Version': ['v1'] }, { 'x-version': 'v3' }, false],
    [{ 'X-Version': ['v1'] }, {}, false],
    [{ 'x-version': ['v1'] }, { 'x-version': ['v3', 'v1'] }, true],
    [{ 'x-a': ['1'], 'x-b': ['2'] }, { 'x-a': '1' }, false],
    [{ 'x-a': ['1'], 'x-b': ['2'] }, { 'x-a': '1', 'x-b': '2' }, true],
    [{ 'x-tier': ['~*^beta-\\d+$'] }, { 'x-tier': 'Beta-12' }, true],
    [{ 'x-tier': ['~*^beta-\\d+$'] }, { 'x-tier': 'beta-x' }, false],
  ]
  for (const [routeHeaders, reqHeaders, hit] of headers) {
    it(`headers ${JSON.stringify(routeHeaders)} vs ${JSON.stringify(reqHeaders)}: ${hit}`, () => {
      const r = route('r', { headers: routeHeaders })
      assert.equal(matchedId([r], { headers: reqHeaders }), hit ? 'r' : null)
    })
  }

  // [route path, request path, matches]: plain prefixes (textual, as Kong), regexes anchored at
  // the start only, both against the normalised request path
  const paths: [string, string, boolean][] = [
    ['/api', '/api', true],
    ['/api', '/api/x', true],
    ['/api', '/apix', true],
    ['/api', '/ap', false],
    ['~/users/\\d+$', '/users/12', true],
    ['~/users/\\d+$', '/users/12/x', false],
    ['~/users/\\d+', '/v1/users/12', false],
    ['~/a|/b', '/x/b', false],
    ['~/a|/b', '/b', true],
    ['~/ab?c', '/ac', true],
    ['~/a*b', '/b', true],
    ['~/x{0,1}y', '/y', true],
    ['~/api/(v1|v2)', '/api/v2', true],
    ['~/\\.well-known', '/.well-known/x', true],
    ['/api', '/x/../api/y', true],
    ['/api', '/%61pi', true],
    ['/a/b', '/a%2Fb', false],
    ['/café', '/caf%C3%A9/menu', true],
  ]
  for (const [routePath, path, hit] of paths) {
    it(`path ${routePath} vs ${path}: ${hit}`, () => {
      assert.equal(matchedId([route('r', { paths: [routePath] })], { path }), hit ? 'r' : null)
    })
  }

  it('checks snis on https only', () => {
    const router = buildRouter([route('r', { snis: ['a.test'] })], [service()])
    assert.equal(router.match(request({ protocol: 'https', sni: 'a.test' }))?.route.id, 'r')
    assert.equal(router.match(request({ protocol: 'https', sni: 'b.test' })), null)
    assert.equal(router.match(request({ protocol: 'https' })), null)
    assert.equal(router.match(request({ protocol: 'http', sni: 'b.test' }))?.route.id, 'r')
  })

  it('needs every attribute the route sets', () => {
    const r = route('r', { hosts: ['example.test'], paths: ['/api'], methods: ['GET'] })
    assert.equal(matchedId([r], { path: '/api' }), 'r')
    assert.equal(matchedId([r], { path: '/web' }), null)
    assert.equal(matchedId([r], { path: '/api', method: 'PUT' }), null)
    assert.equal(matchedId([r], { path: '/api', host: 'other.test' }), null)
  })
})

describe('router priority', () => {
  // Each case lists routes (in creation order) and requests with the id that must win.
  const cases: {
    name: string
    routes: RouteConfig[]
    expect: [Partial<RouteRequest>, string | null][]
  }[] = [
    {
      name: 'more attribute kinds first',
      routes: [
        route('path', { paths: ['/api/v1/long/prefix'] }),
        route('host+path', { hosts: ['example.test'], paths: ['/'] }),
      ],
      expect: [[{ path: '/api/v1/long/prefix' }, 'host+path']],
    },
    {
      name: 'methods+hosts beat a longer path',
      routes: [
        route('path', { paths: ['/api/v1'] }),
        route('method+host', { methods: ['GET'], hosts: ['example.test'] }),
      ],
      expect: [
        [{ path: '/api/v1' }, 'method+host'],
        [{ path: '/api/v1', method: 'POST' }, 'path'],
      ],
    },
    {
      name: 'plain hosts before wildcard hosts',
      routes: [
        route('wildcard', { hosts: ['*.example.test'], created_at: 1 }),
        route('plain', { hosts: ['api.example.test'], created_at: 2 }),
      ],
      expect: [
        [{ host: 'api.example.test' }, 'plain'],
        [{ host: 'web.example.test' }, 'wildcard'],
      ],
    },
    {
      name: 'more header names first',
      routes: [
        route('one', { headers: { 'x-a': ['1'] } }),
        route('two', { headers: { 'x-a': ['1'], 'x-b': ['2'] } }),
      ],
      expect: [
        [{ headers: { 'x-a': '1', 'x-b': '2' } }, 'two'],
        [{ headers: { 'x-a': '1' } }, 'one'],
      ],
    },
    {
      name: 'regex before prefix, whatever the length',
      routes: [
        route('prefix', { paths: ['/api/v1/models'] }),
        route('regex', { paths: ['~/api'] }),
      ],
      expect: [[{ path: '/api/v1/models' }, 'regex']],
    },
    {
      name: 'regex_priority, higher first',
      routes: [
        route('low', { paths: ['~/api/(?<rest>.*)'], regex_priority: 0 }),
        route('high', { paths: ['~/api/v\\d'], regex_priority: 10 }),
      ],
      expect: [
        [{ path: '/api/v1' }, 'high'],
        [{ path: '/api/x' }, 'low'],
      ],
    },
    {
      name: 'equal regex_priority: older created_at, then smaller id',
      routes: [
        route('newer', { paths: ['~/a'], created_at: 20 }),
        route('older', { paths: ['~/a'], created_at: 10 }),
        route('b-same', { paths: ['~/b'], created_at: 5 }),
        route('a-same', { paths: ['~/b'], created_at: 5 }),
      ],
      expect: [
        [{ path: '/a' }, 'older'],
        [{ path: '/b' }, 'a-same'],
      ],
    },
    {
      name: 'longest prefix wins',
      routes: [
        route('root', { paths: ['/'] }),
        route('api', { paths: ['/api'] }),
        route('v1', { paths: ['/api/v1'] }),
      ],
      expect: [
        [{ path: '/api/v1/chat' }, 'v1'],
        [{ path: '/api/v2' }, 'api'],
        [{ path: '/web' }, 'root'],
      ],
    },
    {
      name: 'regex_priority does not reorder prefix paths (Kong #7687)',
      routes: [
        route('root', { hosts: ['foo.test'], paths: ['/'], regex_priority: 1 }),
        route('v1', { hosts: ['foo.test'], paths: ['/v1'], regex_priority: 0 }),
        route('other', { hosts: ['bar.test'], paths: ['~/.*'] }),
      ],
      expect: [[{ host: 'foo.test', path: '/v1' }, 'v1']],
    },
    {
      name: 'each path of a route ranks on its own',
      routes: [
        route('short+long', { paths: ['/a', '/a/b/c'] }),
        route('middle', { paths: ['/a/b'] }),
      ],
      expect: [
        [{ path: '/a/b/c/d' }, 'short+long'],
        [{ path: '/a/b/z' }, 'middle'],
        [{ path: '/a/z' }, 'short+long'],
      ],
    },
    {
      name: 'host index keeps the global order',
      routes: [
        route('host', { hosts: ['example.test', 'other.test'] }),
        route('method+path', { methods: ['GET'], paths: ['/'] }),
        route('host+path', { hosts: ['other.test'], paths: ['/api'] }),
        route('wildcard+path', { hosts: ['*.test'], paths: ['/api'], created_at: 1 }),
      ],
      expect: [
        [{ host: 'example.test' }, 'method+path'],
        [{ host: 'example.test', method: 'POST' }, 'host'],
        [{ host: 'other.test', path: '/api' }, 'host+path'],
        [{ host: 'example.test', path: '/api' }, 'wildcard+path'],
        [{ host: 'other.test', method: 'POST' }, 'host'],
        [{ host: 'none.example', method: 'POST' }, null],
      ],
    },
    {
      name: 'no match',
      routes: [route('api', { paths: ['/api'], methods: ['POST'] })],
      expect: [
        [{ path: '/web', method: 'POST' }, null],
        [{ path: '/api', method: 'GET' }, null],
      ],
    },
    { name: 'no routes', routes: [], expect: [[{}, null]] },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const router = buildRouter(c.routes, [service()])
      for (const [req, id] of c.expect) {
        assert.equal(router.match(request(req))?.route.id ?? null, id, JSON.stringify(req))
      }
    })
  }
})

describe('upstream path (Kong spec/fixtures/router_path_handling_tests.lua)', () => {
  // service path, route path (null: the route matches on host), strip_path, path_handling,
  // request path, expected upstream path. A list in a column expands to one case per value.
  type Row = [string, string | null, boolean | boolean[], string | string[], string, string]
  const rows: Row[] = [
    ['/', '/', [false, true], ['v0', 'v1'], '/', '/'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route', '/route'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/', [false, true], ['v0', 'v1'], '/routereq', '/routereq'],
    ['/', '/', [false, true], ['v0', 'v1'], '/route/req', '/route/req'],
    ['/', '/route', false, ['v0', 'v1'], '/route', '/route'],
    ['/', '/route', false, ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/route', false, ['v0', 'v1'], '/routereq', '/routereq'],
    ['/', '/route', true, ['v0', 'v1'], '/route', '/'],
    ['/', '/route', true, ['v0', 'v1'], '/route/', '/'],
    ['/', '/route', true, ['v0', 'v1'], '/routereq', '/req'],
    ['/', '/route/', false, ['v0', 'v1'], '/route/', '/route/'],
    ['/', '/route/', false, ['v0', 'v1'], '/route/req', '/route/req'],
    ['/', '/route/', true, ['v0', 'v1'], '/route/', '/'],
    ['/', '/route/', true, ['v0', 'v1'], '/route/req', '/req'],
    ['/srv', '/rou', false, 'v0', '/roureq', '/srv/roureq'],
    ['/srv', '/rou', false, 'v1', '/roureq', '/srvroureq'],
    ['/srv', '/rou', true, 'v0', '/roureq', '/srv/req'],
    ['/srv', '/rou', true, 'v1', '/roureq', '/srvreq'],
    ['/srv/', '/rou', false, ['v0', 'v1'], '/rou', '/srv/rou'],
    ['/srv/', '/rou', true, 'v0', '/rou', '/srv'],
    ['/srv/', '/rou', true, 'v1', '/rou', '/srv/'],
    ['/service', '/', [false, true], ['v0', 'v1'], '/', '/service'],
    ['/service', '/', [false, true], 'v0', '/route', '/service/route'],
    ['/service', '/', [false, true], 'v1', '/route', '/serviceroute'],
    ['/service', '/', [false, true], 'v0', '/route/', '/service/route/'],
    ['/service', '/', [false, true], 'v1', '/route/', '/serviceroute/'],
    ['/service', '/', [false, true], 'v0', '/routereq', '/service/routereq'],
    ['/service', '/', [false, true], 'v1', '/routereq', '/serviceroutereq'],
    ['/service', '/', [false, true], 'v0', '/route/req', '/service/route/req'],
    ['/service', '/', [false, true], 'v1', '/route/req', '/serviceroute/req'],
    ['/service', '/route', false, 'v0', '/route', '/service/route'],
    ['/service', '/route', false, 'v1', '/route', '/serviceroute'],
    ['/service', '/route', false, 'v0', '/route/', '/service/route/'],
    ['/service', '/route', false, 'v1', '/route/', '/serviceroute/'],
    ['/service', '/route', false, 'v0', '/routereq', '/service/routereq'],
    ['/service', '/route', false, 'v1', '/routereq', '/serviceroutereq'],
    ['/service', '/route', true, ['v0', 'v1'], '/route', '/service'],
    ['/service', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service', '/route', true, 'v0', '/routereq', '/service/req'],
    ['/service', '/route', true, 'v1', '/routereq', '/servicereq'],
    ['/service', '/route/', false, 'v0', '/route/', '/service/route/'],
    ['/service', '/route/', false, 'v1', '/route/', '/serviceroute/'],
    ['/service', '/route/', false, 'v0', '/route/req', '/service/route/req'],
    ['/service', '/route/', false, 'v1', '/route/req', '/serviceroute/req'],
    ['/service', '/route/', true, 'v0', '/route/', '/service/'],
    ['/service', '/route/', true, 'v1', '/route/', '/service'],
    ['/service', '/route/', true, 'v0', '/route/req', '/service/req'],
    ['/service', '/route/', true, 'v1', '/route/req', '/servicereq'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/', '/service/'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/routereq', '/service/routereq'],
    ['/service/', '/', [false, true], ['v0', 'v1'], '/route/req', '/service/route/req'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', '/route', false, ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service/', '/route', false, ['v0', 'v1'], '/routereq', '/service/routereq'],
    ['/service/', '/route', true, 'v0', '/route', '/service'],
    ['/service/', '/route', true, 'v1', '/route', '/service/'],
    ['/service/', '/route', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service/', '/route', true, ['v0', 'v1'], '/routereq', '/service/req'],
    ['/service/', '/route/', false, ['v0', 'v1'], '/route/', '/service/route/'],
    ['/service/', '/route/', false, ['v0', 'v1'], '/route/req', '/service/route/req'],
    ['/service/', '/route/', true, ['v0', 'v1'], '/route/', '/service/'],
    ['/service/', '/route/', true, ['v0', 'v1'], '/route/req', '/service/req'],
    ['/', null, [false, true], ['v0', 'v1'], '/', '/'],
    ['/', null, [false, true], ['v0', 'v1'], '/route', '/route'],
    ['/', null, [false, true], ['v0', 'v1'], '/route/', '/route/'],
    ['/service', null, [false, true], ['v0', 'v1'], '/', '/service'],
    ['/service', null, [false, true], 'v0', '/route', '/service/route'],
    ['/service', null, [false, true], 'v1', '/route', '/serviceroute'],
    ['/service', null, [false, true], 'v0', '/route/', '/service/route/'],
    ['/service', null, [false, true], 'v1', '/route/', '/serviceroute/'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/', '/service/'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/route', '/service/route'],
    ['/service/', null, [false, true], ['v0', 'v1'], '/route/', '/service/route/'],
  ]
  const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])
  for (const [servicePath, routePath, strips, handlings, path, expected] of rows) {
    for (const strip of list(strips)) {
      for (const handling of list(handlings)) {
        const name = `${servicePath} ${routePath ?? '(host)'} strip=${strip} ${handling} ${path}`
        it(name, () => {
          const r = route('r', {
            hosts: routePath === null ? ['example.test'] : null,
            paths: routePath === null ? null : [routePath],
            strip_path: strip,
            path_handling: handling === 'v1' ? 'v1' : 'v0',
          })
          const router = buildRouter([r], [service({ path: servicePath })])
          assert.equal(router.match(request({ path }))?.upstreamPath, expected)
        })
      }
    }
  }

  // [name, route paths, strip_path, service path, request path, upstream path]
  const more: [string, string, boolean, string | null, string, string][] = [
    ['service without path', '/api', true, null, '/api/chat', '/chat'],
    ['regex strips its match', '~/models/[^/]+', true, '/v1', '/models/gpt/chat', '/v1/chat'],
    ['regex kept', '~/models/[^/]+', false, '/v1', '/models/gpt/chat', '/v1/models/gpt/chat'],
    ['postfix dot segment dropped', '/api', true, '/s', '/api..', '/s'],
    ['decoded, then escaped again', '/api', true, '/s', '/api/%7Ea%20b%2f', '/s/~a%20b%2F'],
  ]
  for (const [name, routePath, strip, servicePath, path, expected] of more) {
    it(name, () => {
      const r = route('r', { paths: [routePath], strip_path: strip })
      const router = buildRouter([r], [service({ path: servicePath })])
      assert.equal(router.match(request({ path }))?.upstreamPath, expected)
    })
  }
})

describe('router match result', () => {
  it('carries preserve_host as the Host to send', () => {
    const routes = [
      route('keep', { paths: ['/keep'], preserve_host: true }),
      route('drop', { paths: ['/drop'] }),
    ]
    const router = buildRouter(routes, [service()])
    const keep = router.match(request({ path: '/keep', host: 'example.test:8000' }))
    assert.equal(keep?.route.preserve_host, true)
    assert.equal(keep?.upstreamHost, 'example.test:8000')
    assert.equal(router.match(request({ path: '/drop' }))?.upstreamHost, null)
  })

  it('returns named and positional captures of a regex path', () => {
    const r = route('r', { paths: ['~/models/(?<model>[^/]+)/(\\d+)'] })
    const m = buildRouter([r], [service()]).match(request({ path: '/models/gpt/3/chat' }))
    assert.deepEqual(m?.uriCaptures, { '0': '/models/gpt/3', '1': 'gpt', '2': '3', model: 'gpt' })
    assert.equal(m?.prefix, '/models/gpt/3')
  })

  it('accepts the (?P<name>) spelling of named groups', () => {
    const r = route('r', { paths: ['~/u/(?P<user>\\w+)'] })
    const m = buildRouter([r], [service()]).match(request({ path: '/u/alice' }))
    assert.equal(m?.uriCaptures?.['user'], 'alice')
  })

  it('has no captures for prefix paths or group-less regexes', () => {
    const routes = [route('prefix', { paths: ['/p'] }), route('regex', { paths: ['~/r\\d'] })]
    const router = buildRouter(routes, [service()])
    assert.equal(router.match(request({ path: '/p' }))?.uriCaptures, null)
    assert.equal(router.match(request({ path: '/r1' }))?.uriCaptures, null)
  })

  it('reports the normalised path and the stripped prefix', () => {
    const routes = [
      route('strip', { paths: ['/api'] }),
      route('keep', { paths: ['/web'], strip_path: false }),
    ]
    const router = buildRouter(routes, [service()])
    const strip = router.match(request({ path: '/x/../api/%7Eu' }))
    assert.equal(strip?.path, '/api/~u')
    assert.equal(strip?.prefix, '/api')
    assert.equal(router.match(request({ path: '/web' }))?.prefix, null)
  })

  it('flags https-only routes reached over http, as Kong answers 426', () => {
    const routes = [route('tls', { protocols: ['https'], paths: ['/'] })]
    const router = buildRouter(routes, [service()])
    assert.equal(router.match(request({ protocol: 'http' }))?.httpsRequired, true)
    assert.equal(router.match(request({ protocol: 'https' }))?.httpsRequired, false)
  })
})

describe('router services', () => {
  it('routes a route without service, with service null (Kong answers 503)', () => {
    const m = buildRouter([route('r', { paths: ['/'], service: null })], []).match(request())
    assert.equal(m?.route.id, 'r')
    assert.equal(m?.service, null)
    assert.equal(m?.upstreamPath, '/')
  })

  it('leaves routes of a disabled service out, so lower routes match', () => {
    const routes = [
      route('disabled', { paths: ['/api'], service: { id: 'off' } }),
      route('fallback', { paths: ['/'] }),
    ]
    const router = buildRouter(routes, [service(), service({ id: 'off', enabled: false })])
    assert.equal(router.match(request({ path: '/api' }))?.route.id, 'fallback')
    assert.deepEqual(router.skipped, [{ routeId: 'disabled', reason: 'service disabled' }])
  })

  it('returns the matched service', () => {
    const routes = [route('r', { paths: ['/'], service: { id: 's2' } })]
    const services = [service(), service({ id: 's2', host: 'two.test' })]
    const m = buildRouter(routes, services).match(request())
    assert.equal(m?.service?.host, 'two.test')
  })

  it('skips unroutable routes and keeps the rest', () => {
    const routes = [
      route('bad-regex', { paths: ['~/('] }),
      route('no-service', { paths: ['/x'], service: { id: 'missing' } }),
      route('stream', { protocols: ['tcp'] }),
      route('no-attributes'),
      route('good', { paths: ['/'] }),
    ]
    const router = buildRouter(routes, [service()])
    assert.deepEqual(
      router.skipped.map((s) => s.routeId),
      ['bad-regex', 'no-service', 'stream', 'no-attributes'],
    )
    assert.match(router.skipped[0]?.reason ?? '', /^invalid regex/)
    assert.equal(router.match(request({ path: '/x' }))?.route.id, 'good')
  })
})

describe('router host matching as Kong 3.9 (traditional_compatible)', () => {
  // [route hosts, Host header, port the request arrived on, matches]
  const cases: [string[], string, number, boolean][] = [
    // A Host without port is matched with the port the request came in on (net.dst.port).
    [['example.test:8000'], 'example.test', 8000, true],
    [['example.test:80'], 'example.test', 8000, false],
    [['example.test:8000'], 'example.test:8000', 9000, true],
    [['example.test:8000'], 'example.test:9000', 8000, false],
    [['example.test'], 'example.test:1234', 8000, true],
    [['*.example.test:8000'], 'a.example.test', 8000, true],
    // The Host header is used as sent: a trailing dot is part of the name.
    [['example.test'], 'example.test.', 8000, false],
    [['example.test.'], 'example.test.', 8000, true],
    [['example.test'], 'example.test.:8000', 8000, false],
    // A port that is not a number leaves the whole header as the name.
    [['example.test'], 'example.test:x', 8000, false],
    [['example.test'], 'example.test:', 8000, false],
  ]
  for (const [routeHosts, host, localPort, hit] of cases) {
    it(`hosts ${routeHosts.join(',')} vs ${host} on :${localPort}: ${hit}`, () => {
      const r = route('r', { hosts: routeHosts })
      assert.equal(matchedId([r], { host, localPort }), hit ? 'r' : null)
    })
  }
})
