import type { Platform, Run } from '../shared/flow-types.js'
import type { Analysis } from '../spark/analysis-types.js'
import type { DbxDetails } from '../databricks/dbx-details.js'
import { signedDuration } from '../shared/format.js'

/*
 * Where a run's time went, split into parts that are measured, never estimated:
 *   queue      submitted -> started, as the Trifacta platform reports it
 *   startup    cluster start-up: Databricks setup_duration (else the cluster events CREATING -> RUNNING);
 *              0 on-prem: a standing YARN cluster (see below)
 *   compute    executor compute: wall-clock time while at least one Spark job ran (from the event log analysis)
 *   driver     driver-only: the rest of the execution (Databricks execution_duration, the on-prem run), no job running
 *   cleanup    Databricks cleanup_duration (0 on the standing on-prem cluster)
 *   other      AAC time outside the Databricks run (the platform's own work before and after it)
 * A part that cannot be measured is null with the reason; when driver and compute cannot be told apart, their sum
 * (execution) may still be known, and deltas then compare that sum.
 *
 * On-prem start-up and clean-up are 0 by definition, not unknown: Trifacta on-prem submits each job's Spark
 * application to the Hadoop cluster's YARN, a standing cluster that no job creates or tears down. What the
 * application itself needs to start (YARN queueing, the driver and executor containers) is inside the on-prem run:
 * on-prem Trifacta reports no job start, so its queue is unknown and that time is part of its execution. The demo
 * world (src/simulator) is laid out the same way, and the README's "Where the time went" says so.
 */

export type PartId = 'queue' | 'startup' | 'driver' | 'compute' | 'cleanup' | 'other'
export type DeltaId = PartId | 'execution'

export const PART_IDS: readonly PartId[] = ['queue', 'startup', 'driver', 'compute', 'cleanup', 'other']

export const PART_LABELS: Record<DeltaId, string> = {
  queue: 'queue / wait',
  startup: 'cluster start-up',
  driver: 'driver-only time',
  compute: 'executor compute',
  cleanup: 'clean-up',
  other: 'platform overhead',
  execution: 'execution (driver + compute)'
}

export interface Part {
  id: PartId
  ms: number | null
  /** where the number comes from, or why it is unknown */
  source: string
}

/** The timing facts of a Databricks run, from the cached DBX details. */
export interface DbxTiming {
  setupMs: number | null
  executionMs: number | null
  cleanupMs: number | null
  /** first CREATING (or STARTING) event -> the RUNNING that follows it, when the events show one */
  clusterStartMs: number | null
}

/** The timing facts of a Spark application, from its analysis. */
export interface SparkTiming {
  /** application start -> end */
  appMs: number | null
  /** union of the jobs' submission -> completion spans; null when the log has no job or stage times */
  jobsMs: number | null
  jobs: number
  /** the log has no ApplicationEnd or was cut: the numbers cover only what was read */
  partial: boolean
}

export interface SideTiming {
  platform: Platform
  jobGroupId: number
  status: string
  /** the run did not complete (failed, cancelled, still running): its time is not comparable */
  failed: boolean
  /** queue + run (submitted -> finished) */
  totalMs: number | null
  parts: Part[]
  /** driver + compute as one number (known even when the split is not) */
  executionMs: number | null
  executionSource: string
}

export interface PartDelta {
  id: DeltaId
  label: string
  aacMs: number
  onpremMs: number
  /** AAC minus on-prem */
  deltaMs: number
}

export interface PairTiming {
  aac: SideTiming
  onprem: SideTiming
  /** both runs completed: deltas are meaningful */
  comparable: boolean
  /** why the deltas are not shown */
  reason: string | null
  totalDeltaMs: number | null
  /** known deltas, largest first */
  deltas: PartDelta[]
  /** parts whose delta is unknown (one side or both cannot measure them) */
  unknown: DeltaId[]
  /** "+5m 00s cluster start-up, −1m 13s executor compute" (the three largest), or why there is none */
  headline: string
}

const TERMINAL_EVENTS_START = new Set(['CREATING', 'STARTING', 'RESTARTING'])

/** The timing facts of cached DBX details. */
export function dbxTiming (d: DbxDetails): DbxTiming {
  let clusterStartMs: number | null = null
  const events = [...d.events].sort((a, b) => a.timestamp - b.timestamp)
  const start = events.find((e) => TERMINAL_EVENTS_START.has(e.type))
  if (start !== undefined) {
    const running = events.find((e) => e.timestamp >= start.timestamp && e.type === 'RUNNING')
    if (running !== undefined) clusterStartMs = running.timestamp - start.timestamp
  }
  return { setupMs: d.run.setupMs, executionMs: d.run.executionMs, cleanupMs: d.run.cleanupMs, clusterStartMs }
}

/** Length of the union of [start, end] spans. */
function unionMs (spans: [number, number][]): number {
  spans.sort((x, y) => x[0] - y[0])
  let total = 0
  let curStart = 0
  let curEnd = -Infinity
  for (const [s, e] of spans) {
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart
      curStart = s
      curEnd = e
    } else if (e > curEnd) {
      curEnd = e
    }
  }
  if (curEnd > curStart) total += curEnd - curStart
  return total
}

function spansOf (items: { submissionTime?: number, completionTime?: number }[], end: number | null): [number, number][] | null {
  const spans: [number, number][] = []
  for (const x of items) {
    if (x.submissionTime === undefined || x.submissionTime === null) return null
    const stop = x.completionTime ?? end
    if (stop !== null && stop >= x.submissionTime) spans.push([x.submissionTime, stop])
  }
  return spans
}

/**
 * The timing facts of an analysis: the union of its jobs' spans is the time executors had work. Logs whose jobs
 * carry no times (Spark 1.x) fall back to the stages' spans; with neither, compute is unknown.
 */
export function sparkTiming (a: Pick<Analysis, 'application' | 'jobs' | 'stages' | 'parse'>): SparkTiming {
  const app = a.application
  const timedStages = a.stages.filter((s) => s.submissionTime !== undefined)
  const spans = spansOf(a.jobs, app.endTime) ?? (timedStages.length > 0 ? spansOf(timedStages, app.endTime) : null)
  const appMs = app.startTime !== null && app.endTime !== null ? app.endTime - app.startTime : null
  return { appMs, jobsMs: spans === null ? null : unionMs(spans), jobs: a.jobs.length, partial: !app.completed || a.parse.truncated || a.parse.damage.length > 0 }
}

const sum = (xs: (number | null)[]): number | null => xs.some((x) => x === null) ? null : (xs as number[]).reduce((s, x) => s + x, 0)

function isFailed (status: string): boolean {
  return status !== 'Complete'
}

function totalOf (run: Run): number | null {
  if (run.runMs === null) return null
  return run.runMs + (run.queueMs ?? 0)
}

/** One side's parts. `dbx` and `spark` are null when nothing is cached / analysed for the run. */
export function decomposeSide (run: Run, facts: { dbx: DbxTiming | null, spark: SparkTiming | null }): SideTiming {
  const platformName = run.platform === 'aac' ? 'AAC' : 'on-prem Trifacta'
  const queue: Part = run.queueMs !== null
    ? { id: 'queue', ms: run.queueMs, source: `${platformName}: submitted → started` }
    : { id: 'queue', ms: null, source: `${platformName} does not report when the job started: the queue is inside the run` }
  const spark = facts.spark
  const compute: Part = spark === null
    ? { id: 'compute', ms: null, source: 'no event log analysis: download and analyse the event log' }
    : spark.jobsMs === null
      ? { id: 'compute', ms: null, source: 'the event log has no job or stage times' }
      : { id: 'compute', ms: spark.jobsMs, source: `Spark event log: ${spark.jobs} job${spark.jobs === 1 ? '' : 's'} running${spark.partial ? ' (the log is incomplete: only what was read)' : ''}` }

  let startup: Part
  let cleanup: Part
  let other: Part
  let executionMs: number | null
  let executionSource: string
  if (run.platform === 'onprem') {
    startup = { id: 'startup', ms: 0, source: 'standing on-prem cluster: nothing to start' }
    cleanup = { id: 'cleanup', ms: 0, source: 'standing on-prem cluster: nothing to tear down' }
    other = { id: 'other', ms: 0, source: 'on-prem: the run is the execution' }
    executionMs = run.queueMs === null ? null : run.runMs
    executionSource = run.queueMs === null ? 'the run includes the queue (no job start reported)' : 'on-prem run: started → finished'
  } else if (run.databricksRunId === null || facts.dbx === null) {
    const why = run.databricksRunId === null ? 'did not run on Databricks' : 'no Databricks details saved: open DBX ▸'
    startup = { id: 'startup', ms: null, source: why }
    cleanup = { id: 'cleanup', ms: null, source: why }
    other = { id: 'other', ms: null, source: why }
    executionMs = null
    executionSource = why
  } else {
    const d = facts.dbx
    startup = d.setupMs !== null
      ? { id: 'startup', ms: d.setupMs, source: `Databricks setup_duration${d.clusterStartMs !== null ? ` (cluster events CREATING → RUNNING: ${signedDuration(d.clusterStartMs).slice(1)})` : ''}` }
      : d.clusterStartMs !== null
        ? { id: 'startup', ms: d.clusterStartMs, source: 'cluster events CREATING → RUNNING' }
        : { id: 'startup', ms: null, source: 'Databricks reports no setup_duration and no cluster start event' }
    cleanup = d.cleanupMs !== null
      ? { id: 'cleanup', ms: d.cleanupMs, source: 'Databricks cleanup_duration' }
      : { id: 'cleanup', ms: null, source: 'Databricks reports no cleanup_duration' }
    executionMs = d.executionMs
    executionSource = d.executionMs !== null ? 'Databricks execution_duration' : 'Databricks reports no execution_duration'
    const total = run.queueMs === null ? null : totalOf(run)
    const inside = sum([queue.ms, startup.ms, executionMs, cleanup.ms])
    other = total !== null && inside !== null
      ? { id: 'other', ms: total - inside, source: 'AAC run minus the Databricks run: the platform\'s own work before and after it' }
      : { id: 'other', ms: null, source: 'needs the queue and every Databricks duration' }
  }

  let driver: Part
  if (executionMs === null) driver = { id: 'driver', ms: null, source: executionSource }
  else if (compute.ms === null) driver = { id: 'driver', ms: null, source: compute.source }
  else if (compute.ms > executionMs) driver = { id: 'driver', ms: null, source: 'the event log\'s jobs last longer than the execution: the two clocks disagree' }
  else driver = { id: 'driver', ms: executionMs - compute.ms, source: 'execution with no Spark job running' }

  return {
    platform: run.platform,
    jobGroupId: run.jobGroupId,
    status: run.status,
    failed: isFailed(run.status),
    totalMs: totalOf(run),
    parts: [queue, startup, driver, compute, cleanup, other],
    executionMs,
    executionSource
  }
}

const partMs = (s: SideTiming, id: PartId): number | null => s.parts.find((p) => p.id === id)?.ms ?? null

/** "+5m 00s cluster start-up, −1m 13s executor compute": the largest deltas of at least a second. */
export function headlineOf (deltas: PartDelta[], max = 3): string {
  const shown = deltas.filter((d) => Math.abs(d.deltaMs) >= 1000).slice(0, max)
  if (shown.length === 0) return 'no part differs by a second or more'
  return shown.map((d) => `${signedDuration(d.deltaMs)} ${d.label}`).join(', ')
}

/** The deltas of a pair, part by part, largest first; unknown parts listed, nothing filled in. */
export function decomposePair (aac: SideTiming, onprem: SideTiming): PairTiming {
  const failedSide = aac.failed ? (onprem.failed ? 'Both runs' : 'The AAC run') : onprem.failed ? 'The on-prem run' : null
  if (failedSide !== null) {
    const status = aac.failed && onprem.failed ? `${aac.status} / ${onprem.status}` : aac.failed ? aac.status : onprem.status
    return {
      aac,
      onprem,
      comparable: false,
      reason: `${failedSide} did not complete (${status}): a run that stopped early is not compared part by part.`,
      totalDeltaMs: null,
      deltas: [],
      unknown: [],
      headline: 'not compared: a run did not complete'
    }
  }
  const deltas: PartDelta[] = []
  const unknown: DeltaId[] = []
  const push = (id: DeltaId, a: number | null, o: number | null): boolean => {
    if (a === null || o === null) return false
    deltas.push({ id, label: PART_LABELS[id], aacMs: a, onpremMs: o, deltaMs: a - o })
    return true
  }
  for (const id of ['queue', 'startup', 'cleanup', 'other'] as const) if (!push(id, partMs(aac, id), partMs(onprem, id))) unknown.push(id)
  if (!push('compute', partMs(aac, 'compute'), partMs(onprem, 'compute'))) unknown.push('compute')
  // without the split, the execution as a whole may still compare
  if (!push('driver', partMs(aac, 'driver'), partMs(onprem, 'driver'))) {
    unknown.push('driver')
    push('execution', aac.executionMs, onprem.executionMs)
  }
  deltas.sort((x, y) => Math.abs(y.deltaMs) - Math.abs(x.deltaMs))
  const totalDeltaMs = aac.totalMs !== null && onprem.totalMs !== null ? aac.totalMs - onprem.totalMs : null
  return { aac, onprem, comparable: true, reason: null, totalDeltaMs, deltas, unknown, headline: headlineOf(deltas) }
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export interface PartMedian {
  id: DeltaId
  label: string
  /** median of AAC minus on-prem over the pairs that know this part */
  medianDeltaMs: number
  /** pairs that know this part */
  pairs: number
}

export interface FlowTiming {
  /** comparable pairs (both runs completed) */
  pairs: number
  /** pairs left out because a run did not complete */
  notCompared: number
  medianTotalDeltaMs: number | null
  /** per part, largest median first */
  parts: PartMedian[]
  headline: string | null
}

/** The flow page's summary: medians over the comparable pairs, per part over the pairs that know it. */
export function aggregateTimings (timings: PairTiming[]): FlowTiming {
  const comparable = timings.filter((t) => t.comparable)
  const totals = comparable.map((t) => t.totalDeltaMs).filter((x): x is number => x !== null)
  const byPart = new Map<DeltaId, number[]>()
  for (const t of comparable) for (const d of t.deltas) byPart.set(d.id, [...(byPart.get(d.id) ?? []), d.deltaMs])
  const parts: PartMedian[] = [...byPart].map(([id, xs]) => ({ id, label: PART_LABELS[id], medianDeltaMs: median(xs), pairs: xs.length }))
  parts.sort((x, y) => Math.abs(y.medianDeltaMs) - Math.abs(x.medianDeltaMs))
  const medianTotal = totals.length === 0 ? null : median(totals)
  let headline: string | null = null
  if (medianTotal !== null) {
    const word = medianTotal > 0 ? 'slower' : medianTotal < 0 ? 'faster' : 'as fast'
    const shown = parts.filter((p) => Math.abs(p.medianDeltaMs) >= 1000).slice(0, 3)
    headline = `Over ${totals.length} pair${totals.length === 1 ? '' : 's'} AAC is ${signedDuration(medianTotal)} ${word} at the median` +
      (shown.length > 0 ? `; ${shown.map((p) => `${p.label} ${signedDuration(p.medianDeltaMs)}`).join(', ')}` : '')
  }
  return { pairs: comparable.length, notCompared: timings.length - comparable.length, medianTotalDeltaMs: medianTotal, parts, headline }
}

/** One row of a pair's decomposition table. */
export interface TimingRow {
  id: DeltaId
  label: string
  aac: { ms: number | null, source: string }
  onprem: { ms: number | null, source: string }
  /** AAC minus on-prem; null when a side cannot measure the part or the pair is not compared */
  deltaMs: number | null
}

/** The rows of a pair's table: known deltas largest first, then the parts that are unknown, then the rest. */
export function timingRows (t: PairTiming): TimingRow[] {
  const side = (s: SideTiming, id: DeltaId): { ms: number | null, source: string } => {
    if (id === 'execution') return { ms: s.executionMs, source: s.executionSource }
    const p = s.parts.find((x) => x.id === id)!
    return { ms: p.ms, source: p.source }
  }
  const row = (id: DeltaId, deltaMs: number | null): TimingRow => ({ id, label: PART_LABELS[id], aac: side(t.aac, id), onprem: side(t.onprem, id), deltaMs })
  const rows = t.deltas.map((d) => row(d.id, d.deltaMs))
  const seen = new Set<DeltaId>(rows.map((r) => r.id))
  for (const id of [...t.unknown, ...PART_IDS]) {
    if (seen.has(id)) continue
    seen.add(id)
    rows.push(row(id, null))
  }
  return rows
}
