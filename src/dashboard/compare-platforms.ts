import type { Analysis, StageData } from '../spark/analysis-types.js'
import type { PairTiming } from '../flows/decompose.js'
import { bytes, duration, impactText, number, signedDuration } from '../shared/format.js'
import { barTime, stageBar } from './chart-data.js'

/*
 * AAC against on-prem for one pair: the two analyses side by side (task time by category, stages matched by name
 * and order) and a plain-language summary ranked by each part's contribution to the wall-clock difference.
 */

export const TASK_CATEGORIES = [
  { id: 'compute', label: 'compute (run − GC)' },
  { id: 'gc', label: 'GC' },
  { id: 'scheduler', label: 'scheduler delay' },
  { id: 'deserialize', label: 'deserialisation' },
  { id: 'resultSer', label: 'result serialisation' },
  { id: 'gettingResult', label: 'getting result' }
] as const
export type TaskCategory = typeof TASK_CATEGORIES[number]['id']

/** Summed task time per category over every stage attempt (the dashboard's stage breakdown, added up). */
export function taskTimeByCategory (a: Pick<Analysis, 'stages'>): Record<TaskCategory, number> & { total: number } {
  const out = { compute: 0, gc: 0, scheduler: 0, deserialize: 0, resultSer: 0, gettingResult: 0, total: 0 }
  for (const s of a.stages) {
    const b = stageBar(s)
    out.compute += b.computeMs
    out.gc += b.gcMs
    out.scheduler += b.schedulerDelayMs
    out.deserialize += b.deserializeMs
    out.resultSer += b.resultSerializationMs
    out.gettingResult += b.gettingResultMs
    out.total += barTime(b)
  }
  return out
}

export interface StageMatch {
  name: string
  aac: StageSide | null
  onprem: StageSide | null
}

export interface StageSide {
  label: string
  stageId: number
  status: string
  tasks: number
  /** submission -> completion, null when either is missing */
  wallMs: number | null
  taskTimeMs: number
}

function side (s: StageData): StageSide {
  const b = stageBar(s)
  return {
    label: b.label,
    stageId: s.stageId,
    status: s.status,
    tasks: s.numTasks,
    wallMs: s.submissionTime !== undefined && s.completionTime !== undefined ? s.completionTime - s.submissionTime : null,
    taskTimeMs: barTime(b)
  }
}

const ordered = (stages: StageData[]): StageData[] => stages.filter((s) => s.status !== 'SKIPPED' && s.status !== 'PENDING')
  .sort((x, y) => (x.submissionTime ?? Infinity) - (y.submissionTime ?? Infinity) || x.stageId - y.stageId || x.attemptId - y.attemptId)

/**
 * Stages matched by name and order: the k-th stage named N on AAC faces the k-th stage named N on-prem (stage ids
 * differ between the two applications); the rest stand alone. In AAC's order, on-prem-only stages where they fall.
 */
export function matchStages (aac: StageData[], onprem: StageData[]): StageMatch[] {
  const a = ordered(aac)
  const o = ordered(onprem)
  const byName = new Map<string, StageData[]>()
  for (const s of o) byName.set(s.name, [...(byName.get(s.name) ?? []), s])
  const used = new Set<StageData>()
  const rows: StageMatch[] = []
  for (const s of a) {
    const twin = byName.get(s.name)?.shift() ?? null
    if (twin !== null) used.add(twin)
    rows.push({ name: s.name, aac: side(s), onprem: twin === null ? null : side(twin) })
  }
  for (const s of o) if (!used.has(s)) rows.push({ name: s.name, aac: null, onprem: side(s) })
  return rows
}

export interface SummaryLine {
  /** what the line explains: a decomposition part, or a finding of the analyses */
  id: string
  /** its contribution to the wall-clock difference (AAC minus on-prem), when it is one of the parts */
  deltaMs: number | null
  text: string
}

const times = (r: number): string => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`

function computeLine (deltaMs: number, a: Analysis | null, o: Analysis | null): string {
  const head = `Spark jobs ran ${signedDuration(deltaMs).slice(1)} ${deltaMs >= 0 ? 'longer' : 'shorter'} on AAC`
  if (a === null || o === null) return `${head}.`
  const ta = a.kpis.totalTaskTimeMs
  const to = o.kpis.totalTaskTimeMs
  const bits = [`AAC used ${number(a.kpis.totalCoresMax)} cores vs ${number(o.kpis.totalCoresMax)} on-prem`]
  if (to > 0 && ta > 0) {
    const r = ta / to
    bits.push(Math.abs(r - 1) < 0.15
      ? `about the same ${duration(to)} of task time (${duration(ta)} on AAC)`
      : `task time ${duration(ta)} vs ${duration(to)} (${times(r)})`)
  }
  return `${head}: ${bits.join('; ')}.`
}

/** below this much input on both sides the sizes say little about the work */
const WORKLOAD_MIN_BYTES = 64 * 1024 * 1024

/**
 * Whether the two applications did the same work, judged by the input they read: a pair of runs of one flow should
 * read the same data, and when they do not, the compute difference is the data's as much as the platform's (the usual
 * causes: a different input, a source the event log does not count such as JDBC, or the wrong application picked).
 */
function workloadLine (a: Analysis, o: Analysis): SummaryLine | null {
  const ia = a.kpis.inputBytes
  const io = o.kpis.inputBytes
  const big = Math.max(ia, io)
  if (big < WORKLOAD_MIN_BYTES) return null
  const small = Math.min(ia, io)
  if (small > 0 && big / small < 1.25) {
    return { id: 'workload', deltaMs: null, text: `Both applications read about the same input (${bytes(ia)} on AAC, ${bytes(io)} on-prem), so the compute difference is not the data's size.` }
  }
  if (small > 0 && big / small < 2) return null
  const more = ia > io ? 'AAC' : 'on-prem'
  const ratio = small > 0 ? ` (${times(big / small)} on ${more})` : ''
  return {
    id: 'workload',
    deltaMs: null,
    text: `The two applications did not read the same data: ${bytes(ia)} of input on AAC, ${bytes(io)} on-prem${ratio}. The compute difference reflects the data as much as the platform: check that both runs read the same inputs (a source the event log does not count, such as JDBC, shows as 0 B) and that the right on-prem application was picked.`
  }
}

const SEVERITY_RANK = { critical: 2, warning: 1, info: 0 } as const

/**
 * When AAC is slower and its run raised a critical or warning flag the on-prem run did not, the costliest one tells
 * why: "A red flag explains part of it: Cluster saturated (critical) costs ~2.2 min of 7.0 min on AAC, of the
 * +10m 03s difference." with the flag's first evidence line.
 */
function slowAacFlag (timing: PairTiming, a: Analysis | null, o: Analysis | null): SummaryLine | null {
  if (a === null || !timing.comparable || timing.totalDeltaMs === null || timing.totalDeltaMs <= 0) return null
  const candidates = a.flags
    .filter((f) => (f.severity === 'critical' || f.severity === 'warning') && (f.impactMs ?? 0) > 0)
    .filter((f) => o === null || !o.flags.some((g) => g.id === f.id && SEVERITY_RANK[g.severity] >= SEVERITY_RANK[f.severity]))
    .sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || (y.impactMs ?? 0) - (x.impactMs ?? 0))
  const f = candidates[0]
  if (f === undefined) return null
  const cost = impactText(f.impactMs, a.kpis.wallClockMs)
  const first = f.evidence[0]
  const evidence = first === undefined ? '' : ` ${first.charAt(0).toUpperCase()}${first.slice(1).replace(/\.?$/, '.')}`
  return {
    id: 'red-flag',
    deltaMs: null,
    text: `A red flag explains part of the slower AAC run: ${f.title} (${f.severity})${cost === null ? '' : ` ${cost} on AAC`}, of the ${signedDuration(timing.totalDeltaMs)} difference.${evidence}`
  }
}

/**
 * Plain-language summary: the parts of the difference largest first, then what the analyses add. Red flags of an
 * analysis made by an older analyser (`outdated…`) are not presented as current: the flag lines make way for one
 * that says so.
 */
export function compareSummary (timing: PairTiming, a: Analysis | null, o: Analysis | null, outdated: { outdatedAac?: boolean, outdatedOnprem?: boolean } = {}): SummaryLine[] {
  const oldSides = [outdated.outdatedAac === true && a !== null ? 'the AAC run' : null, outdated.outdatedOnprem === true && o !== null ? 'the on-prem run' : null].filter((x) => x !== null)
  const flagsCurrent = oldSides.length === 0
  const lines: SummaryLine[] = []
  if (timing.comparable) {
    for (const d of timing.deltas) {
      if (Math.abs(d.deltaMs) < 1000) continue
      const more = d.deltaMs > 0 ? 'more' : 'less'
      const amount = signedDuration(d.deltaMs).slice(1)
      let text: string
      switch (d.id) {
        case 'startup': text = d.onpremMs === 0 ? `AAC spent ${amount} starting its cluster (Databricks set-up); the on-prem cluster was already running.` : `Cluster start-up took ${amount} ${more} on AAC.`; break
        case 'compute': text = computeLine(d.deltaMs, a, o); break
        case 'driver': text = `${amount} ${more} on AAC with no Spark job running (driver-only: planning, listing and committing files, waiting between jobs).`; break
        case 'queue': text = `AAC waited ${amount} ${d.deltaMs > 0 ? 'longer' : 'less'} in the queue before the job started.`; break
        case 'cleanup': text = `Tearing the cluster down took ${amount} (Databricks clean-up).`; break
        case 'other': text = `${amount} ${more} of AAC's own work outside the Databricks run (preparing, publishing).`; break
        case 'execution': text = `The execution (driver and executors together) took ${amount} ${d.deltaMs > 0 ? 'longer' : 'less'} on AAC; analyse both event logs to split it.`; break
      }
      lines.push({ id: d.id, deltaMs: d.deltaMs, text })
    }
  }
  if (a !== null && o !== null) {
    const work = workloadLine(a, o)
    // right after the compute line it qualifies (or after the parts, when compute was not one of them)
    const at = lines.findIndex((l) => l.id === 'compute')
    if (work !== null) lines.splice(at < 0 ? lines.length : at + 1, 0, work)
  }
  const flagLine = flagsCurrent ? slowAacFlag(timing, a, o) : null
  if (flagLine !== null) lines.push(flagLine)
  if (a !== null && o !== null) {
    const ka = a.kpis
    const ko = o.kpis
    if (Math.abs(ka.gcPercent - ko.gcPercent) >= 5) lines.push({ id: 'gc', deltaMs: null, text: `GC took ${ka.gcPercent.toFixed(1)}% of task run time on AAC vs ${ko.gcPercent.toFixed(1)}% on-prem.` })
    const spillA = ka.diskBytesSpilled
    const spillO = ko.diskBytesSpilled
    if (spillA !== spillO && Math.max(spillA, spillO) > 0) lines.push({ id: 'spill', deltaMs: null, text: `Spill to disk: ${bytes(spillA)} on AAC vs ${bytes(spillO)} on-prem.` })
    if (ka.failedTasks !== ko.failedTasks) lines.push({ id: 'failed-tasks', deltaMs: null, text: `Failed tasks: ${number(ka.failedTasks)} on AAC vs ${number(ko.failedTasks)} on-prem.` })
    const onlyA = flagsCurrent ? a.flags.filter((f) => !o.flags.some((g) => g.id === f.id)) : []
    if (onlyA.length > 0) lines.push({ id: 'flags', deltaMs: null, text: `Red flags only on AAC: ${onlyA.map((f) => f.title).join('; ')}.` })
  }
  if (!flagsCurrent) {
    lines.push({ id: 'flags-outdated', deltaMs: null, text: `Red flags are left out: ${oldSides.join(' and ')} ${oldSides.length === 1 ? 'was' : 'were'} analysed by an older version of Tri-Tracker, whose flags may differ. Re-analyse on the run's dashboard.` })
  }
  return lines
}
