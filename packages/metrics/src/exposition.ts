// Prometheus text exposition (format 0.0.4) the way Kong's exporter prints it: families in name
// order, each family's series sorted by their full key with histogram buckets ascending, labels
// in the metric's declaration order with `le` last, `le` trimmed ("7", "+Inf"), and label values
// escaped as Kong does (`\` and `"` only; a value is cut where it stops being valid UTF-8).
// prom-client keeps the values; this file only decides how they are written.

export const CONTENT_TYPE = 'text/plain; charset=UTF-8'

export type MetricType = 'counter' | 'gauge' | 'histogram'

export interface Series {
  /** Full series name, e.g. `kong_kong_latency_ms_bucket`. */
  name: string
  /** Label pairs in output order. */
  labels: readonly (readonly [string, string])[]
  value: number
}

export interface Family {
  name: string
  help: string
  type: MetricType
  series: readonly Series[]
}

// A lone UTF-16 surrogate has no UTF-8 encoding: the first one ends the value.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export function escapeLabelValue(value: string): string {
  const bad = LONE_SURROGATE.exec(value)
  const valid = bad ? value.slice(0, bad.index) : value
  return valid.replace(/[\\"]/g, (c) => `\\${c}`)
}

export function formatNumber(n: number): string {
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  if (Number.isNaN(n)) return 'NaN'
  return String(n)
}

/** Sort key of an `le` value: fixed-width so text order is numeric order, +Inf last. */
function leSortKey(le: string): string {
  if (le === '+Inf') return '~'
  return Number(le).toFixed(3).padStart(20, '0')
}

function seriesKey(s: Series): string {
  let key = s.name + '{'
  for (const [k, v] of s.labels) key += `${k}=${k === 'le' ? leSortKey(v) : v},`
  return key
}

function seriesLine(s: Series): string {
  const name =
    s.labels.length === 0
      ? s.name
      : `${s.name}{${s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
  return `${name} ${formatNumber(s.value)}\n`
}

/** Writes the families that have series; empty families print nothing, as in Kong. */
export function renderFamilies(families: readonly Family[]): string {
  let out = ''
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.series.length === 0) continue
    out += `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${f.name} ${f.type}\n`
    const keyed = f.series.map((s) => [seriesKey(s), s] as const)
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    for (const [, s] of keyed) out += seriesLine(s)
  }
  return out
}
