// Reads an upstream's healthchecks tree (Kong's JSON) into what the checkers need.

import type { Outcome, Thresholds } from './counters.js'

export interface HealthchecksJson {
  active?: {
    type?: string
    timeout?: number
    concurrency?: number
    http_path?: string
    https_sni?: string | null
    https_verify_certificate?: boolean
    headers?: Record<string, string[]> | null
    healthy?: { interval?: number; http_statuses?: number[]; successes?: number }
    unhealthy?: {
      interval?: number
      http_statuses?: number[]
      tcp_failures?: number
      timeouts?: number
      http_failures?: number
    }
  }
  passive?: {
    type?: string
    healthy?: { http_statuses?: number[]; successes?: number }
    unhealthy?: { http_statuses?: number[]; tcp_failures?: number; timeouts?: number; http_failures?: number }
  }
  threshold?: number
}

/** Kong's "healthchecks enabled": an active interval or a passive failure threshold set. */
export function checksEnabled(hc: HealthchecksJson | null | undefined): boolean {
  return Boolean(
    hc?.active?.healthy?.interval ||
      hc?.active?.unhealthy?.interval ||
      hc?.passive?.unhealthy?.tcp_failures ||
      hc?.passive?.unhealthy?.timeouts ||
      hc?.passive?.unhealthy?.http_failures
  )
}

export function passiveEnabled(hc: HealthchecksJson | null | undefined): boolean {
  const u = hc?.passive?.unhealthy
  return Boolean(u?.tcp_failures || u?.timeouts || u?.http_failures)
}

export function activeEnabled(hc: HealthchecksJson | null | undefined): boolean {
  return Boolean(hc?.active?.healthy?.interval || hc?.active?.unhealthy?.interval)
}

export function passiveThresholds(hc: HealthchecksJson | null | undefined): Thresholds {
  return {
    successes: hc?.passive?.healthy?.successes ?? 0,
    httpFailures: hc?.passive?.unhealthy?.http_failures ?? 0,
    tcpFailures: hc?.passive?.unhealthy?.tcp_failures ?? 0,
    timeouts: hc?.passive?.unhealthy?.timeouts ?? 0,
  }
}

export function activeThresholds(hc: HealthchecksJson | null | undefined): Thresholds {
  return {
    successes: hc?.active?.healthy?.successes ?? 0,
    httpFailures: hc?.active?.unhealthy?.http_failures ?? 0,
    tcpFailures: hc?.active?.unhealthy?.tcp_failures ?? 0,
    timeouts: hc?.active?.unhealthy?.timeouts ?? 0,
  }
}

const PASSIVE_HEALTHY = [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]
const PASSIVE_UNHEALTHY = [429, 500, 503]
const ACTIVE_HEALTHY = [200, 302]
const ACTIVE_UNHEALTHY = [429, 404, 500, 501, 502, 503, 504, 505]

/**
 * What a proxied response means for passive checks: a status in the unhealthy list is an HTTP
 * failure (504 a timeout, as nginx reports it), in the healthy list a success, else nothing.
 */
export function passiveOutcome(hc: HealthchecksJson | null | undefined, status: number): Outcome | undefined {
  const unhealthy = hc?.passive?.unhealthy?.http_statuses ?? PASSIVE_UNHEALTHY
  const healthy = hc?.passive?.healthy?.http_statuses ?? PASSIVE_HEALTHY
  if (status === 504) return 'timeout'
  if (unhealthy.includes(status)) return 'http_failure'
  if (healthy.includes(status)) return 'success'
  return undefined
}

/** What an active probe's status means; statuses in neither list are ignored. */
export function activeOutcome(hc: HealthchecksJson | null | undefined, status: number): Outcome | undefined {
  if ((hc?.active?.healthy?.http_statuses ?? ACTIVE_HEALTHY).includes(status)) return 'success'
  if ((hc?.active?.unhealthy?.http_statuses ?? ACTIVE_UNHEALTHY).includes(status)) return 'http_failure'
  return undefined
}
