import type { FlowData, Run } from '../shared/flow-types.js'
import { downsample } from '../shared/downsample.js'
import { flowPath } from '../shared/format.js'
import { buildRunRows } from './runs-table.js'
import { PART_IDS, type PartId, type SideTiming } from './decompose.js'
import { pairKey, type FlowTimings } from './pair-timing.js'

/** One run in the trend: its total and, where measured, its parts (the unmeasured rest is `unmeasuredMs`). */
export interface TrendSide {
  jobGroupId: number
  status: string
  failed: boolean
  totalMs: number | null
  /** only the measured parts */
  parts: Partial<Record<PartId, number>>
  /** total minus the measured parts (never negative): what the chart draws as "not split" */
  unmeasuredMs: number | null
}

export interface TrendPoint {
  /** submission time (ms): the later of the two sides of a pair */
  t: number
  aac: TrendSide | null
  onprem: TrendSide | null
  /** the pair page, or the run page of an unpaired run */
  url: string
}

export interface TrendData {
  version: 1
  parts: { id: PartId, label: string }[]
  points: TrendPoint[]
  /** rows before downsampling */
  total: number
  downsampled: boolean
}

export const MAX_TREND_POINTS = 300

function side (run: Run | null, timing: SideTiming | undefined): TrendSide | null {
  if (run === null) return null
  const totalMs = run.runMs === null ? null : run.runMs + (run.queueMs ?? 0)
  const parts: Partial<Record<PartId, number>> = {}
  let measured = 0
  for (const p of timing?.parts ?? []) {
    if (p.ms === null || p.ms <= 0) continue
    parts[p.id] = p.ms
    measured += p.ms
  }
  return {
    jobGroupId: run.jobGroupId,
    status: run.status,
    failed: run.status === 'Failed' || run.status === 'Canceled',
    totalMs,
    parts,
    unmeasuredMs: totalMs === null ? null : Math.max(0, totalMs - measured)
  }
}

/**
 * The flow's runs over time, oldest first, for the trend chart: pairs and unpaired runs, stacked by the measured
 * parts. Past MAX_TREND_POINTS the series is downsampled keeping each stretch's edges and extremes, and every failure.
 */
export function trendData (flow: FlowData, timings: FlowTimings, labels: Record<PartId, string>, max = MAX_TREND_POINTS): TrendData {
  const base = flowPath(flow.name)
  const points: TrendPoint[] = buildRunRows(flow).map((row) => {
    const tm = row.aac !== null && row.onprem !== null ? timings.byPair.get(pairKey(row.aac.jobGroupId, row.onprem.jobGroupId)) : undefined
    const t = Math.max(row.aac === null ? -Infinity : Date.parse(row.aac.submittedAt), row.onprem === null ? -Infinity : Date.parse(row.onprem.submittedAt))
    const url = row.aac !== null && row.onprem !== null
      ? `${base}/pairs/${row.aac.jobGroupId}/${row.onprem.jobGroupId}`
      : `${base}/runs/${(row.aac ?? row.onprem)!.jobGroupId}`
    return { t, aac: side(row.aac, tm?.aac), onprem: side(row.onprem, tm?.onprem), url }
  }).reverse()
  let kept = downsample(points, max, (p) => p.t, [(p) => p.aac?.totalMs ?? 0, (p) => p.onprem?.totalMs ?? 0])
  if (kept !== points) {
    // failures are what the chart marks: none is dropped by the downsampling
    const keep = new Set(kept)
    for (const p of points) if (p.aac?.failed === true || p.onprem?.failed === true) keep.add(p)
    kept = points.filter((p) => keep.has(p))
  }
  return { version: 1, parts: PART_IDS.map((id) => ({ id, label: labels[id] })), points: kept, total: points.length, downsampled: kept.length < points.length }
}
