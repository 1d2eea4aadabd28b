/**
 * The one downsampler for time series (the analysis's executor timeline, the dashboard's chart data): keeps at most
 * about `max` points by bucketing time and keeping, per bucket, the first and last points (the step edges) and the
 * points holding each value's minimum and maximum (the extremes), in time order. Series of `max` points or fewer are
 * returned as they are. `timeOf` reads a point's time; points must be in time order.
 */
export function downsample<T> (points: T[], max: number, timeOf: (p: T) => number, values: ((p: T) => number)[]): T[] {
  if (points.length <= max) return points
  const perBucket = 2 + 2 * values.length
  const buckets = Math.max(1, Math.floor((max - 2) / perBucket))
  const t0 = timeOf(points[0]!)
  const span = Math.max(1, timeOf(points[points.length - 1]!) - t0)
  const keep = new Set<number>([0, points.length - 1])
  let i = 0
  for (let b = 0; b < buckets && i < points.length; b++) {
    const end = b === buckets - 1 ? Infinity : t0 + (span * (b + 1)) / buckets
    const first = i
    const lo = values.map(() => i)
    const hi = values.map(() => i)
    while (i < points.length && timeOf(points[i]!) < end) {
      values.forEach((v, k) => {
        if (v(points[i]!) < v(points[lo[k]!]!)) lo[k] = i
        if (v(points[i]!) > v(points[hi[k]!]!)) hi[k] = i
      })
      i++
    }
    if (i === first) continue
    keep.add(first).add(i - 1)
    for (const x of lo) keep.add(x)
    for (const x of hi) keep.add(x)
  }
  return [...keep].sort((a, b) => a - b).map((k) => points[k]!)
}
