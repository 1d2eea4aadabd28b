// Busy task slots over time in a bounded number of buckets: the bucket width doubles when the span outgrows them,
// so memory is fixed however long the app ran.
const MAX_BUCKETS = 1024

/** Accumulates task slot time (core-ms) into time buckets. */
export class BusyHistogram {
  origin = NaN
  width = 1000
  buckets = new Float64Array(MAX_BUCKETS)
  used = 0

  /** Sets the time origin (app start) if none yet. */
  start (t: number): void {
    if (Number.isNaN(this.origin) && Number.isFinite(t) && t > 0) this.origin = t
  }

  /** Adds `cores` busy slots over [from, to). */
  add (from: number, to: number, cores: number): void {
    if (!(to > from) || !Number.isFinite(from)) return
    this.start(from)
    if (from < this.origin) from = this.origin
    if (to <= from) return
    while ((to - this.origin) / this.width > MAX_BUCKETS) this.coarsen()
    let t = from
    while (t < to) {
      const i = Math.min(Math.floor((t - this.origin) / this.width), MAX_BUCKETS - 1)
      const bEnd = this.origin + (i + 1) * this.width
      const seg = Math.min(to, bEnd) - t
      this.buckets[i]! += seg * cores
      if (i + 1 > this.used) this.used = i + 1
      t += seg > 0 ? seg : to - t
    }
  }

  /** Extends the covered span to `t` without adding load (so idle tails show as zeros). */
  extend (t: number): void {
    if (Number.isNaN(this.origin) || !(t > this.origin)) return
    while ((t - this.origin) / this.width > MAX_BUCKETS) this.coarsen()
    this.used = Math.max(this.used, Math.min(MAX_BUCKETS, Math.ceil((t - this.origin) / this.width)))
  }

  private coarsen (): void {
    const b = this.buckets
    for (let i = 0; i < MAX_BUCKETS / 2; i++) b[i] = b[2 * i]! + b[2 * i + 1]!
    b.fill(0, MAX_BUCKETS / 2)
    this.width *= 2
    this.used = Math.ceil(this.used / 2)
  }

  /** Average busy cores per bucket. */
  series (): { start: number; bucketMs: number; busyCores: number[] } {
    const out: number[] = []
    for (let i = 0; i < this.used; i++) out.push(Math.round((this.buckets[i]! / this.width) * 100) / 100)
    return { start: Number.isNaN(this.origin) ? 0 : this.origin, bucketMs: this.width, busyCores: out }
  }
}
