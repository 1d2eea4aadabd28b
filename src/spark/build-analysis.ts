// Turns the aggregator's state into the Analysis object: KPIs, timeline, flags and recommendations on top of the
// REST-shaped collections.
import { downsample } from '../shared/downsample.js'
import type { Aggregator, TaskFailureClass } from './aggregator.js'
import { ANALYSER_VERSION } from './analyser-version.js'
import {
  ANALYSIS_SCHEMA_VERSION, type Analysis, type EnvironmentInfo, type Kpis, type ParseHealth, type RootCauseLine, type Timeline, type Usage,
} from './analysis-types.js'
import { computeFlags } from './flags.js'
import { classifyRemoval, taskRootCauses } from './root-cause.js'
import { whatIf } from './what-if.js'
import { recommend } from './recommend.js'
import { redactedPairs } from './redact.js'
import { THRESHOLDS } from './thresholds.js'

export interface BuildOptions {
  /** 'spark' keeps only Spark properties; 'full' adds hadoop/system/metrics properties and the classpath */
  environment?: 'spark' | 'full'
  source?: Analysis['source']
}

/** Builds the final Analysis from a fed Aggregator and the parse health. */
export function buildAnalysis (agg: Aggregator, parse: ParseHealth, opts: BuildOptions = {}): Analysis {
  const r = agg.result()
  const a = agg.app
  const startTime = a.startTime
  const slack = THRESHOLDS.timestampSlackMs
  // Without an ApplicationEnd the end is the latest timestamp, unless executor events lie far beyond the rest: their
  // clock is wrong (edited or merged logs), which is damage to report, not a 930-day wall clock.
  let endTime = a.endTime ?? (agg.lastTimestamp > 0 ? agg.lastTimestamp : null)
  if (a.endTime === null && agg.lastCoreTimestamp > 0 && agg.lastTimestamp - agg.lastCoreTimestamp > slack) endTime = agg.lastCoreTimestamp
  const r0 = agg.execTimeRange
  let clamp = (t: number): number => t
  if (startTime !== null && endTime !== null && r0.max > 0 && (r0.min < startTime - slack || r0.max > endTime + slack)) {
    const lo = startTime
    const hi = endTime
    clamp = (t) => Math.min(hi, Math.max(lo, t))
    parse.damage.push({
      part: '',
      afterBytes: 0,
      message: `executor events carry timestamps outside the application's span (${iso(r0.min)} to ${iso(r0.max)}, the application ran ${iso(lo)} to ${iso(hi)}): they are clamped to the span, not analysed as time`,
    })
  }
  parse.incomplete = a.endTime === null
  const props = agg.env.spark
  const environment: EnvironmentInfo = {
    runtime: agg.env.runtime,
    sparkProperties: redactedPairs(props),
    resourceProfiles: [...agg.resourceProfiles.values()].sort((x, y) => x.id - y.id),
  }
  if (opts.environment === 'full') {
    environment.hadoopProperties = redactedPairs(agg.env.hadoop)
    environment.systemProperties = redactedPairs(agg.env.system)
    environment.metricsProperties = redactedPairs(agg.env.metrics)
    environment.classpathEntries = redactedPairs(agg.env.classpath, false)
  }
  const { timeline, executorsMin, executorsMax, totalCoresMax } = buildTimeline(agg, startTime, endTime, r.jobs, clamp)
  const stages = r.stages
  const sum = (f: (s: (typeof stages)[number]) => number): number => stages.reduce((acc, s) => acc + f(s), 0)
  const runTime = sum((s) => s.executorRunTime)
  const taskTime = sum((s) => s.taskTime)
  const kpis: Kpis = {
    wallClockMs: startTime !== null && endTime !== null ? endTime - startTime : 0,
    executorsMin,
    executorsMax,
    totalCoresMax,
    coreUtilisation: timeline.availableCoreMs > 0 ? round4(timeline.busyCoreMs / timeline.availableCoreMs) : null,
    totalTaskTimeMs: taskTime,
    gcPercent: runTime > 0 ? round2((100 * sum((s) => s.jvmGcTime)) / runTime) : 0,
    schedulerDelayPercent: taskTime > 0 ? round2((100 * sum((s) => s.schedulerDelay)) / taskTime) : 0,
    inputBytes: sum((s) => s.inputBytes),
    outputBytes: sum((s) => s.outputBytes),
    shuffleReadBytes: sum((s) => s.shuffleReadBytes),
    shuffleWriteBytes: sum((s) => s.shuffleWriteBytes),
    memoryBytesSpilled: sum((s) => s.memoryBytesSpilled),
    diskBytesSpilled: sum((s) => s.diskBytesSpilled),
    tasks: agg.taskCount,
    failedTasks: sum((s) => s.numFailedTasks),
    killedTasks: sum((s) => s.numKilledTasks),
    stages: stages.length,
    failedStages: stages.filter((s) => s.status === 'FAILED').length,
    jobs: r.jobs.length,
    failedJobs: r.jobs.filter((j) => j.status === 'FAILED').length,
  }
  const master = props['spark.master']
  const analysis: Analysis = {
    schemaVersion: ANALYSIS_SCHEMA_VERSION,
    analyserVersion: ANALYSER_VERSION,
    generatedAt: new Date().toISOString(),
    source: opts.source ?? { path: '', layout: 'file', parts: [] },
    application: {
      id: a.id,
      name: a.name,
      sparkVersion: a.sparkVersion,
      sparkUser: a.user,
      startTime,
      endTime,
      endTimeSource: a.endTime !== null ? 'applicationEnd' : endTime !== null ? 'lastEvent' : 'none',
      duration: kpis.wallClockMs,
      completed: a.endTime !== null,
      ...(a.attemptId !== undefined ? { attemptId: a.attemptId } : {}),
      ...(a.dbrVersion !== undefined ? { databricksRuntime: a.dbrVersion } : {}),
      ...(typeof master === 'string' ? { master } : {}),
      ...(a.driverLogs ? { driverLogs: a.driverLogs } : {}),
    },
    environment,
    kpis,
    jobs: r.jobs,
    stages,
    taskSummaries: r.taskSummaries,
    executors: r.executors,
    timeline,
    sql: r.sql,
    flags: [],
    recommendations: [],
    parse,
  }
  const skew = agg.stageSkew()
  const shape = agg.stageShape()
  const execCores = r.executors.filter((x) => x.id !== 'driver' && x.totalCores > 0).map((x) => x.totalCores)
  analysis.whatIf = whatIf(stages, r.jobs, skew, shape, {
    start: startTime, end: endTime, cores: kpis.totalCoresMax, coresPerExecutor: execCores.length ? Math.max(...execCores) : kpis.totalCoresMax,
  })
  analysis.usage = usage(r.executors, startTime, endTime, timeline, clamp)
  analysis.rootCauses = rootCauses(analysis, agg.failures.values())
  analysis.flags = computeFlags(analysis, { skew, failures: agg.failures.values(), failedTaskTime: shape, whatIf: analysis.whatIf })
  analysis.recommendations = recommend(analysis)
  return analysis
}

/** Node-hours and core-hours the run held: worker hosts from their executors' lifetimes, the driver for the wall clock. */
function usage (executors: Analysis['executors'], start: number | null, end: number | null, timeline: Timeline, clamp: (t: number) => number): Usage {
  const H = 3_600_000
  const hosts = new Map<string, { from: number; to: number }>()
  for (const x of executors) {
    if (x.id === 'driver' || end === null) continue
    const host = x.hostPort.replace(/:\d+$/, '') || x.id
    const from = clamp(x.addTime)
    const to = clamp(x.removeTime ?? end)
    const h = hosts.get(host)
    if (h) { h.from = Math.min(h.from, from); h.to = Math.max(h.to, to) } else hosts.set(host, { from, to })
  }
  const workerMs = [...hosts.values()].reduce((t, h) => t + Math.max(0, h.to - h.from), 0)
  return {
    workerNodeHours: round4(workerMs / H),
    workerNodes: hosts.size,
    driverHours: start !== null && end !== null ? round4((end - start) / H) : 0,
    busyCoreHours: round4(timeline.busyCoreMs / H),
    heldCoreHours: round4(timeline.availableCoreMs / H),
  }
}

/** Root causes: task failure classes, then executor removals that were not scale-down, by their classified cause. */
function rootCauses (a: Analysis, failures: Iterable<TaskFailureClass>): RootCauseLine[] {
  const out: RootCauseLine[] = taskRootCauses(failures).map((r) => ({ kind: r.kind, line: r.line, count: r.count, stageIds: r.stageIds, executorIds: r.executorIds }))
  const removals = new Map<string, RootCauseLine>()
  for (const x of a.executors) {
    if (x.removeReason === undefined || x.id === 'driver') continue
    const c = classifyRemoval(x.removeReason)
    if (c.cause === 'scale_down') continue
    const r = removals.get(c.label) ?? { kind: `executor_${c.cause}`, line: '', count: 0, stageIds: [], executorIds: [] }
    r.count++
    r.executorIds.push(x.id)
    r.line = `executors removed: ${c.label} (${r.count} executor${r.count === 1 ? '' : 's'}: ${r.executorIds.slice(0, 5).join(', ')}${r.count > 5 ? ', …' : ''})`
    removals.set(c.label, r)
  }
  const memoryFirst = [...removals.values()].sort((x, y) => (y.kind.includes('memory') || y.kind.includes('oom') ? 1 : 0) - (x.kind.includes('memory') || x.kind.includes('oom') ? 1 : 0))
  return [...out.filter((r) => r.kind !== 'task_killed'), ...memoryFirst, ...out.filter((r) => r.kind === 'task_killed')]
}

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : '?')

/** Points of the stored executor timeline and markers kept in an analysis (the chart draws at most this many). */
export const MAX_TIMELINE_POINTS = 2000

interface BuiltTimeline {
  timeline: Timeline
  /** KPIs from the full series, before it is downsampled for keeping */
  executorsMin: number
  executorsMax: number
  totalCoresMax: number
}

/**
 * The executor step series (count and cores after every change), busy cores and idle gaps. The executor KPIs are read
 * from the full series; the stored series is bounded by the shared downsampler, which keeps steps and extremes.
 */
function buildTimeline (agg: Aggregator, start: number | null, end: number | null, jobs: Analysis['jobs'], clamp: (t: number) => number): BuiltTimeline {
  const markers = agg.markers.map((m) => ({ ...m, time: clamp(m.time) })).sort((x, y) => x.time - y.time)
  const points: Timeline['executors'] = []
  let n = 0
  let cores = 0
  if (start !== null) points.push({ time: start, executors: 0, cores: 0 })
  for (const m of markers) {
    n += m.kind === 'added' ? 1 : -1
    cores += m.kind === 'added' ? m.cores : -m.cores
    const last = points[points.length - 1]
    if (last && last.time === m.time) { last.executors = n; last.cores = cores } else points.push({ time: m.time, executors: n, cores })
  }
  if (end !== null && points.length > 0) points.push({ time: end, executors: n, cores })
  // The lowest count after the app's first executor change (the leading 0 before any executor is no minimum).
  let executorsMin = points.length === 0 ? 0 : Infinity
  let executorsMax = 0
  let totalCoresMax = 0
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!
    if (i > 0 || points.length === 1) executorsMin = Math.min(executorsMin, p.executors)
    executorsMax = Math.max(executorsMax, p.executors)
    totalCoresMax = Math.max(totalCoresMax, p.cores)
  }
  const executors = downsample(points, MAX_TIMELINE_POINTS, (p) => p.time, [(p) => p.executors, (p) => p.cores])
  let availableCoreMs = 0
  for (const x of agg.executors.values()) {
    const added = agg.markers.find((m) => m.kind === 'added' && m.executorId === x.s.id)
    if (!added || end === null) continue
    const until = clamp(x.s.removeTime ?? end)
    availableCoreMs += Math.max(0, until - clamp(x.s.addTime)) * x.s.totalCores
  }
  if (end !== null) agg.busy.extend(end)
  const timeline: Timeline = {
    executors,
    markers: markers.length > MAX_TIMELINE_POINTS ? markers.slice(0, MAX_TIMELINE_POINTS) : markers,
    busy: agg.busy.series(),
    availableCoreMs,
    busyCoreMs: agg.busyCoreMs,
    idleGaps: idleGaps(start, end, jobs),
  }
  return { timeline, executorsMin, executorsMax, totalCoresMax }
}

/** Spans with no job running (driver-side work or idling), at least THRESHOLDS.driverGapMinMs long. */
function idleGaps (start: number | null, end: number | null, jobs: Analysis['jobs']): { start: number; end: number }[] {
  if (start === null || end === null) return []
  const spans = jobs
    .filter((j) => j.submissionTime !== undefined)
    .map((j) => [j.submissionTime!, j.completionTime ?? end] as const)
    .sort((x, y) => x[0] - y[0])
  const gaps: { start: number; end: number }[] = []
  let cursor = start
  for (const [s, e] of spans) {
    if (s - cursor >= THRESHOLDS.driverGapMinMs) gaps.push({ start: cursor, end: s })
    cursor = Math.max(cursor, e)
  }
  if (end - cursor >= THRESHOLDS.driverGapMinMs) gaps.push({ start: cursor, end })
  return gaps
}

const round2 = (x: number): number => Math.round(x * 100) / 100
const round4 = (x: number): number => Math.round(x * 10000) / 10000
