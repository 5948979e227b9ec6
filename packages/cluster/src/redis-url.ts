// REDIS_URL forms beyond what ioredis parses itself (redis://, rediss://, user:password@ for
// ACL users): Redis Sentinel, as `redis+sentinel://[user:password@]host:port[,host:port…]/master[/db]`
// (`rediss+sentinel://` for TLS to sentinels and servers). Query parameters `sentinelUsername`
// and `sentinelPassword` authenticate to the sentinels when they have their own ACL.

import type { RedisOptions } from 'ioredis'

const SENTINEL_URL = /^(rediss?)\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/

/** ioredis options for a Sentinel URL, or undefined when `url` is not one. Throws on a malformed one. */
export function sentinelOptions(url: string): RedisOptions | undefined {
  if (!/^rediss?\+sentinel:/.test(url)) return undefined
  const m = SENTINEL_URL.exec(url)
  if (!m) throw new Error('REDIS_URL: expected redis+sentinel://[user:password@]host:port[,host:port…]/master[/db]')
  const [, scheme, user, password, hosts, master, db, query] = m
  const sentinels = hosts!.split(',').map((hp) => {
    const at = hp.lastIndexOf(':')
    const host = at > 0 ? hp.slice(0, at) : hp
    const port = at > 0 ? Number(hp.slice(at + 1)) : 26379
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`REDIS_URL: bad sentinel address '${hp}'`)
    return { host: host.replace(/^\[|\]$/g, ''), port }
  })
  const params = new URLSearchParams(query ?? '')
  const tls = scheme === 'rediss'
  const sentinelUsername = params.get('sentinelUsername')
  const sentinelPassword = params.get('sentinelPassword')
  return {
    sentinels,
    name: decodeURIComponent(master!),
    role: 'master',
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    // No `failoverDetector`: with it, a publishing connection that was reconnecting when the
    // sentinel announced the new master sometimes never came back (seen in
    // test/cluster/redis-sentinel.test.ts). Our retry strategy asks the sentinels again every
    // 500 ms at most, which follows a failover within that.
  }
}

/** A URL safe to log: the password replaced. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')
}
