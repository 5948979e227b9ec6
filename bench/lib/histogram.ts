// A fixed-resolution histogram of microsecond values (50 µs buckets up to 10 s, then one
// overflow bucket), cheap to record at 100k values/s, mergeable across processes (its nonzero
// buckets travel as pairs over IPC), with the exact maximum kept aside.

const RESOLUTION_US = 50
const BUCKETS = 200_000

export interface HistogramJson {
  buckets: Array<[number, number]>
  count: number
  maxUs: number
}

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1)
  count = 0
  maxUs = 0

  record(us: number): void {
    const v = us < 0 ? 0 : us
    const i = Math.floor(v / RESOLUTION_US)
    this.counts[i < BUCKETS ? i : BUCKETS]!++
    this.count++
    if (v > this.maxUs) this.maxUs = v
  }

  /** The value (ms) at quantile q, to the bucket's upper edge; the exact max for q = 1. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0
    if (q >= 1) return this.maxUs / 1000
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(this.maxUs, (i + 1) * RESOLUTION_US) / 1000
    }
    return this.maxUs / 1000
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = []
    for (let i = 0; i <= BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!])
    return { buckets, count: this.count, maxUs: this.maxUs }
  }

  merge(j: HistogramJson): void {
    for (const [i, n] of j.buckets) this.counts[i]! += n
    this.count += j.count
    if (j.maxUs > this.maxUs) this.maxUs = j.maxUs
  }
}
