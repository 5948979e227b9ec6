// Series for the families recorded on every proxied request. prom-client's own Counter and
// Histogram hash a labels object on each call (about 1 µs each, six calls per request with every
// switch on: some 10 µs, a seventh of the proxy's per-request CPU); these keep one entry per
// label set, keyed by the label values in declaration order, and give the prom-client Registry
// they are registered in the same JSON its built-in metrics give at scrape time.

import type { Metric, MetricObjectWithValues, MetricValue, Registry } from 'prom-client'

type Json = MetricObjectWithValues<MetricValue<string>>

// Label values never contain it in practice, and a collision would only merge two series.
const SEP = '\u0000'

function labelsObject(names: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]!
  return out
}

function checkArity(name: string, names: readonly string[], values: readonly string[]): void {
  if (values.length !== names.length) throw new RangeError(`${name}: expected ${names.length} label values, got ${values.length}`)
}

/** One counter series; hold it to add without a lookup (`SeriesCounter.add`). */
export interface CounterCell {
  readonly labels: readonly string[]
  value: number
}

/** One histogram series; hold it to observe without a lookup (`SeriesHistogram.observeCell`). */
export interface HistogramCell {
  readonly labels: readonly string[]
  readonly counts: Float64Array
  sum: number
  count: number
}

function checkAmount(name: string, n: number): void {
  if (!(n >= 0 && Number.isFinite(n))) throw new RangeError(`${name}: cannot increment by ${String(n)}`)
}

abstract class RegisteredSeries {
  readonly aggregator = 'sum'
  /** Called after `reset()`: cells held elsewhere are no longer in the series. */
  onReset: (() => void) | undefined

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry
  ) {
    // The registry only needs `name` and `get()`; its types name its own classes.
    registry.registerMetric(this as unknown as Metric)
  }

  abstract get(): Promise<Json>
  abstract reset(): void
}

export class SeriesCounter extends RegisteredSeries {
  readonly type = 'counter'
  private readonly series = new Map<string, CounterCell>()

  inc(values: readonly string[], n = 1): void {
    checkAmount(this.name, n)
    this.cell(values).value += n
  }

  /** The series for these label values (declaration order), created at 0 if new. */
  cell(values: readonly string[]): CounterCell {
    checkArity(this.name, this.labelNames, values)
    const key = values.join(SEP)
    let s = this.series.get(key)
    if (!s) this.series.set(key, (s = { labels: values.slice(), value: 0 }))
    return s
  }

  add(cell: CounterCell, n = 1): void {
    checkAmount(this.name, n)
    cell.value += n
  }

  async get(): Promise<Json> {
    const values = [...this.series.values()].map((s) => ({ labels: labelsObject(this.labelNames, s.labels), value: s.value }))
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values } as unknown as Json
  }

  reset(): void {
    this.series.clear()
    this.onReset?.()
  }
}

export class SeriesHistogram extends RegisteredSeries {
  readonly type = 'histogram'
  private readonly series = new Map<string, HistogramCell>()

  constructor(name: string, help: string, labelNames: readonly string[], registry: Registry, readonly buckets: readonly number[]) {
    super(name, help, labelNames, registry)
  }

  observe(values: readonly string[], v: number): void {
    if (!Number.isFinite(v)) throw new RangeError(`${this.name}: cannot observe ${String(v)}`)
    this.observeCell(this.cell(values), v)
  }

  /** The series for these label values (declaration order), created empty if new. */
  cell(values: readonly string[]): HistogramCell {
    checkArity(this.name, this.labelNames, values)
    const key = values.join(SEP)
    let s = this.series.get(key)
    if (!s) {
      s = { labels: values.slice(), counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 }
      this.series.set(key, s)
    }
    return s
  }

  observeCell(s: HistogramCell, v: number): void {
    if (!Number.isFinite(v)) throw new RangeError(`${this.name}: cannot observe ${String(v)}`)
    // Per-bucket counts here; the scrape makes them cumulative. The last slot is +Inf only.
    let i = 0
    while (i < this.buckets.length && v > this.buckets[i]!) i++
    s.counts[i]!++
    s.sum += v
    s.count++
  }

  async get(): Promise<Json> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = []
    for (const s of this.series.values()) {
      const labels = labelsObject(this.labelNames, s.labels)
      let cumulative = 0
      for (let i = 0; i <= this.buckets.length; i++) {
        cumulative += s.counts[i]!
        const le = i < this.buckets.length ? this.buckets[i]! : '+Inf'
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` })
      }
      values.push({ labels, value: s.sum, metricName: `${this.name}_sum` })
      values.push({ labels, value: s.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values } as unknown as Json
  }

  reset(): void {
    this.series.clear()
    this.onReset?.()
  }
}
