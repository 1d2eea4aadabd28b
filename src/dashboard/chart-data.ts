import { downsample } from '../shared/downsample.js'
import type { Analysis, ExecutorMarker, StageData } from '../spark/analysis-types.js'

/** Bump when the shape or the downsampling changes: it is part of the ETag, so browsers drop stale copies. */
export const CHART_DATA_VERSION = 2

/** What the dashboard island draws. Times are ms since the application started (`origin`). */
export interface ChartData {
  version: typeof CHART_DATA_VERSION
  application: { id: string | null, name: string | null, sparkVersion: string, startTime: number | null, endTime: number | null, duration: number }
  origin: number
  kpis: Analysis['kpis']
  timeline: {
    executors: { t: number, executors: number, cores: number }[]
    busy: { t: number, cores: number }[]
    busyBucketMs: number
    markers: { t: number, kind: ExecutorMarker['kind'], executorId: string, cores: number, reason: string | null }[]
    idleGaps: { start: number, end: number }[]
    /** point counts before and after downsampling */
    sampled: { executors: [number, number], busy: [number, number], markers: [number, number] }
  }
  stages: {
    /** stage attempts in the analysis */
    total: number
    /** stage attempts folded into the trailing "other" row (0 when none) */
    grouped: number
    rows: StageBar[]
  }
  flags: { id: string, severity: string, title: string, stageIds: number[], executorIds: string[], impactMs: number | null }[]
  /** executors → estimated wall clock (the what-if replay); null when the analysis has none */
  whatIf: { points: { factor: number, executors: number, cores: number, wallClockMs: number }[], actualMs: number, criticalPathMs: number, driverOnlyMs: number } | null
}

export interface StageBar {
  /** "S12", "S12.1" for a retry, or "+N others" */
  label: string
  stageId: number | null
  attemptId: number | null
  name: string
  status: string
  numTasks: number
  computeMs: number
  gcMs: number
  schedulerDelayMs: number
  deserializeMs: number
  resultSerializationMs: number
  gettingResultMs: number
  inputBytes: number
  outputBytes: number
  shuffleReadBytes: number
  shuffleWriteBytes: number
  memorySpillBytes: number
  diskSpillBytes: number
  /** (input + shuffle read) / completed tasks: the partition size a task worked on */
  bytesPerTask: number | null
  /** how many stage attempts this row stands for (1, or the size of the "other" group) */
  count: number
}

export const MAX_TIMELINE_POINTS = 2000
export const MAX_MARKERS = 500
export const MAX_STAGE_BARS = 200
export const TOP_STAGE_BARS = 150

/** One stage attempt as a bar: task time by category and its data. */
export function stageBar (s: StageData): StageBar {
  const tasks = s.numCompleteTasks > 0 ? s.numCompleteTasks : s.numTasks
  const data = s.inputBytes + s.shuffleReadBytes
  return {
    label: s.attemptId > 0 ? `S${s.stageId}.${s.attemptId}` : `S${s.stageId}`,
    stageId: s.stageId,
    attemptId: s.attemptId,
    name: s.name,
    status: s.status,
    numTasks: s.numTasks,
    computeMs: Math.max(0, s.executorRunTime - s.jvmGcTime),
    gcMs: s.jvmGcTime,
    schedulerDelayMs: s.schedulerDelay,
    deserializeMs: s.executorDeserializeTime,
    resultSerializationMs: s.resultSerializationTime,
    gettingResultMs: s.gettingResultTime,
    inputBytes: s.inputBytes,
    outputBytes: s.outputBytes,
    shuffleReadBytes: s.shuffleReadBytes,
    shuffleWriteBytes: s.shuffleWriteBytes,
    memorySpillBytes: s.memoryBytesSpilled,
    diskSpillBytes: s.diskBytesSpilled,
    bytesPerTask: tasks > 0 && data > 0 ? data / tasks : null,
    count: 1
  }
}

/** Summed task time of a bar (every category). */
export function barTime (b: StageBar): number {
  return b.computeMs + b.gcMs + b.schedulerDelayMs + b.deserializeMs + b.resultSerializationMs + b.gettingResultMs
}

/** Stage bars in stage order; past MAX_STAGE_BARS the longest TOP_STAGE_BARS stay and the rest become one row. */
export function stageBars (stages: StageData[]): { rows: StageBar[], grouped: number } {
  const bars = stages.map(stageBar)
  const byStage = (x: StageBar, y: StageBar): number => (x.stageId ?? 0) - (y.stageId ?? 0) || (x.attemptId ?? 0) - (y.attemptId ?? 0)
  if (bars.length <= MAX_STAGE_BARS) return { rows: bars.sort(byStage), grouped: 0 }
  const ranked = [...bars].sort((x, y) => barTime(y) - barTime(x))
  const top = ranked.slice(0, TOP_STAGE_BARS).sort(byStage)
  const rest = ranked.slice(TOP_STAGE_BARS)
  const other: StageBar = {
    label: `+${rest.length} others`,
    stageId: null,
    attemptId: null,
    name: `${rest.length} shorter stages, summed`,
    status: 'GROUPED',
    numTasks: 0,
    computeMs: 0,
    gcMs: 0,
    schedulerDelayMs: 0,
    deserializeMs: 0,
    resultSerializationMs: 0,
    gettingResultMs: 0,
    inputBytes: 0,
    outputBytes: 0,
    shuffleReadBytes: 0,
    shuffleWriteBytes: 0,
    memorySpillBytes: 0,
    diskSpillBytes: 0,
    bytesPerTask: null,
    count: rest.length
  }
  let completed = 0
  for (const b of rest) {
    other.numTasks += b.numTasks
    other.computeMs += b.computeMs
    other.gcMs += b.gcMs
    other.schedulerDelayMs += b.schedulerDelayMs
    other.deserializeMs += b.deserializeMs
    other.resultSerializationMs += b.resultSerializationMs
    other.gettingResultMs += b.gettingResultMs
    other.inputBytes += b.inputBytes
    other.outputBytes += b.outputBytes
    other.shuffleReadBytes += b.shuffleReadBytes
    other.shuffleWriteBytes += b.shuffleWriteBytes
    other.memorySpillBytes += b.memorySpillBytes
    other.diskSpillBytes += b.diskSpillBytes
    completed += b.numTasks
  }
  const data = other.inputBytes + other.shuffleReadBytes
  other.bytesPerTask = completed > 0 && data > 0 ? data / completed : null
  return { rows: [...top, other], grouped: rest.length }
}

function spreadMarkers (markers: ExecutorMarker[], max: number): ExecutorMarker[] {
  if (markers.length <= max) return markers
  // Removals carry the reasons people look for (worker lost, OOM): keep them first, then thin the additions evenly.
  const removed = markers.filter((m) => m.kind === 'removed')
  const added = markers.filter((m) => m.kind === 'added')
  const pick = <T>(xs: T[], n: number): T[] => n >= xs.length ? xs : Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!)
  const keptRemoved = pick(removed, Math.min(removed.length, Math.ceil(max * 0.7)))
  const keptAdded = pick(added, max - keptRemoved.length)
  return [...keptRemoved, ...keptAdded].sort((a, b) => a.time - b.time)
}

/** The chart data of an analysis: relative times, bounded sizes. */
export function chartData (a: Analysis): ChartData {
  const tl = a.timeline
  const origin = a.application.startTime ?? tl.executors[0]?.time ?? tl.busy.start
  const execPoints = tl.executors.map((p) => ({ t: p.time - origin, executors: p.executors, cores: p.cores }))
  const execs = downsample(execPoints, MAX_TIMELINE_POINTS, (p) => p.t, [(p) => p.executors, (p) => p.cores])
  const busyPoints = tl.busy.busyCores.map((c, i) => ({ t: tl.busy.start + i * tl.busy.bucketMs - origin, cores: c }))
  const busy = downsample(busyPoints, MAX_TIMELINE_POINTS, (p) => p.t, [(p) => p.cores])
  const markers = spreadMarkers(tl.markers, MAX_MARKERS)
  const { rows, grouped } = stageBars(a.stages)
  const app = a.application
  return {
    version: CHART_DATA_VERSION,
    application: { id: app.id, name: app.name, sparkVersion: app.sparkVersion, startTime: app.startTime, endTime: app.endTime, duration: app.duration },
    origin,
    kpis: a.kpis,
    timeline: {
      executors: execs,
      busy,
      busyBucketMs: tl.busy.bucketMs,
      markers: markers.map((m) => ({ t: m.time - origin, kind: m.kind, executorId: m.executorId, cores: m.cores, reason: m.reason ?? null })),
      idleGaps: tl.idleGaps.map((g) => ({ start: g.start - origin, end: g.end - origin })),
      sampled: { executors: [execPoints.length, execs.length], busy: [busyPoints.length, busy.length], markers: [tl.markers.length, markers.length] }
    },
    stages: { total: a.stages.length, grouped, rows },
    flags: a.flags.map((f) => ({ id: f.id, severity: f.severity, title: f.title, stageIds: f.stageIds ?? [], executorIds: f.executorIds ?? [], impactMs: f.impactMs ?? null })),
    whatIf: a.whatIf ? { points: a.whatIf.points, actualMs: a.whatIf.actualMs, criticalPathMs: a.whatIf.criticalPathMs, driverOnlyMs: a.whatIf.driverOnlyMs } : null
  }
}
