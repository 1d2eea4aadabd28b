import type { ClusterUsage } from '../databricks/cluster-usage.js'
import type { Analysis, ExecutorSummary, Flag, Severity, StageData } from '../spark/analysis-types.js'
import { approxDuration, bytes, duration, impactOverlapText, impactText, number, percent } from '../shared/format.js'

export type Tone = 'good' | 'warn' | 'bad' | null

/** One KPI card: a label, the headline value and an optional second line. */
export interface KpiCard {
  id: string
  label: string
  value: string
  detail: string | null
  tone: Tone
  /** what the number means (title attribute and screen readers) */
  hint: string
}

/** A piece of flag evidence: text, or text that links to a row of the stage / executor tables. */
export interface EvidencePart { text: string, href: string | null }

export interface FlagView {
  id: string
  severity: Severity
  title: string
  /** "costs ~2.2 min of 7.0 min", or null when the flag has no wall-clock impact (old analyses, costs that are not time) */
  impact: string | null
  evidence: EvidencePart[][]
  stages: { id: number, href: string | null }[]
  executors: { id: string, href: string | null }[]
  recommendationIds: string[]
}

export interface StageRow {
  anchor: string | null
  stageId: number
  attemptId: number
  name: string
  status: string
  numTasks: number
  failedTasks: number
  wallMs: number | null
  taskTimeMs: number
  runMs: number
  gcRatio: number | null
  schedulerDelayMs: number
  inputBytes: number
  outputBytes: number
  shuffleReadBytes: number
  shuffleWriteBytes: number
  spillBytes: number
  diskSpillBytes: number
  bytesPerTask: number | null
  flags: string[]
}

export interface ExecutorRow {
  anchor: string
  id: string
  host: string
  cores: number
  addedMs: number | null
  removedMs: number | null
  removeReason: string | null
  completedTasks: number
  failedTasks: number
  tasksLost: number
  taskTimeMs: number
  gcRatio: number | null
  inputBytes: number
  shuffleReadBytes: number
  shuffleWriteBytes: number
  flags: string[]
}

/** What the parse health says about the log, for a notice above the numbers. */
export interface LogNotice { level: 'warn' | 'info', text: string }

export interface DashboardView {
  title: string
  appName: string
  appId: string | null
  sparkVersion: string
  runtime: string | null
  startIso: string | null
  kpis: KpiCard[]
  notices: LogNotice[]
  zeroTasks: boolean
  flags: FlagView[]
  /** that the flags' impacts overlap and are not additive (two or more with an impact), else null */
  impactOverlap: string | null
  /** the likely root causes of failures, first one first */
  rootCauses: string[]
  /** what-if estimates as a table (the chart's fallback); null when the analysis has none */
  whatIf: { rows: { label: string, executors: string, cores: number, wallClock: string, today: boolean }[], criticalPath: string, driverOnly: string, model: string } | null
  recommendations: Analysis['recommendations']
  stages: { rows: StageRow[], total: number, limited: boolean }
  executors: { rows: ExecutorRow[], total: number, limited: boolean }
}

// Tables past these sizes show the rows that matter (longest, flagged); the rest is one click away.
const STAGE_ROWS = 40
const STAGE_ROWS_ALL_UNDER = 60
const EXECUTOR_ROWS = 60

export function stageAnchor (stageId: number): string {
  return `stage-${stageId}`
}

/** Executor ids are free text ("driver", numbers, hosts on some clusters): keep an id-safe, injective form. */
export function executorAnchor (id: string): string {
  return `executor-${id.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`
}

/** Node-hours and busy vs held core-hours (analyses made before they existed have none). */
function usageCards (a: Analysis, cluster: ClusterUsage | null): KpiCard[] {
  const u = a.usage
  // the cluster's own events, when cached, are what was billed: set-up and idle time before and after the Spark app
  const nodeHours: KpiCard | null = cluster !== null
    ? { id: 'node-hours', label: 'Node-hours', value: (cluster.workerNodeHours + cluster.driverHours).toFixed(2), detail: `${cluster.workerNodeHours.toFixed(2)} on up to ${cluster.peakWorkers} worker${cluster.peakWorkers === 1 ? '' : 's'} + ${cluster.driverHours.toFixed(2)} driver (cluster events)`, tone: null, hint: 'hours each node was held, from the Databricks cluster events: creation to termination, set-up included' }
    : u ? { id: 'node-hours', label: 'Node-hours', value: (u.workerNodeHours + u.driverHours).toFixed(2), detail: `${u.workerNodeHours.toFixed(2)} on ${u.workerNodes} worker${u.workerNodes === 1 ? '' : 's'} + ${u.driverHours.toFixed(2)} driver`, tone: null, hint: 'hours each node was held: workers from their executors\' lifetimes, the driver for the whole run' } : null
  if (!u) return nodeHours === null ? [] : [nodeHours]
  const busy = u.heldCoreHours > 0 ? u.busyCoreHours / u.heldCoreHours : null
  return [
    nodeHours!,
    { id: 'core-hours', label: 'Core-hours busy / held', value: `${u.busyCoreHours.toFixed(2)} / ${u.heldCoreHours.toFixed(2)}`, detail: busy === null ? null : `${percent(1 - busy, 0)} idle`, tone: busy === null ? null : busy < 0.2 ? 'bad' : busy < 0.5 ? 'warn' : 'good', hint: 'core-hours tasks ran vs core-hours the executors held: the idle part is what an idle cluster costs' },
  ]
}

function tone (v: number | null, warn: number, bad: number): Tone {
  if (v === null || !Number.isFinite(v)) return null
  return v >= bad ? 'bad' : v >= warn ? 'warn' : 'good'
}

function pct100 (p: number): string {
  return `${p.toFixed(p >= 10 ? 0 : 1)}%`
}

/** The spec's KPI cards, from the analysis' kpis. */
export function kpiCards (a: Analysis, cluster: ClusterUsage | null = null): KpiCard[] {
  const k = a.kpis
  const failedRatio = k.tasks > 0 ? k.failedTasks / k.tasks : 0
  const spill = k.memoryBytesSpilled + k.diskBytesSpilled
  const util = k.coreUtilisation
  return [
    { id: 'wall-clock', label: 'Wall-clock', value: duration(k.wallClockMs), detail: a.application.completed ? null : 'no application end in the log', tone: null, hint: 'application start to end' },
    { id: 'executors', label: 'Executors', value: k.executorsMin === k.executorsMax ? String(k.executorsMax) : `${k.executorsMin} – ${k.executorsMax}`, detail: 'min – max alive', tone: null, hint: 'fewest and most executors alive at once' },
    { id: 'cores', label: 'Total cores', value: number(k.totalCoresMax), detail: 'at the peak', tone: null, hint: 'executor cores at the peak' },
    { id: 'core-utilisation', label: 'Core utilisation', value: util === null ? '–' : percent(util, 0), detail: util === null ? 'executor cores unknown' : 'busy / available core time', tone: util === null ? null : util < 0.2 ? 'bad' : util < 0.5 ? 'warn' : 'good', hint: 'busy core-time divided by available core-time' },
    { id: 'task-time', label: 'Task time', value: duration(k.totalTaskTimeMs), detail: `${number(k.tasks)} tasks`, tone: null, hint: 'sum of all task durations' },
    { id: 'gc', label: 'GC', value: pct100(k.gcPercent), detail: 'of task run time', tone: tone(k.gcPercent, 10, 20), hint: 'JVM garbage collection share of executor run time' },
    { id: 'scheduler-delay', label: 'Scheduler delay', value: pct100(k.schedulerDelayPercent), detail: 'of task time', tone: tone(k.schedulerDelayPercent, 10, 25), hint: 'time tasks spent between scheduling and running, share of task time' },
    { id: 'io', label: 'Input / output', value: `${bytes(k.inputBytes)} / ${bytes(k.outputBytes)}`, detail: null, tone: null, hint: 'bytes read from and written to storage' },
    { id: 'shuffle', label: 'Shuffle read / write', value: `${bytes(k.shuffleReadBytes)} / ${bytes(k.shuffleWriteBytes)}`, detail: null, tone: null, hint: 'shuffle bytes read and written' },
    { id: 'spill', label: 'Spill mem / disk', value: `${bytes(k.memoryBytesSpilled)} / ${bytes(k.diskBytesSpilled)}`, detail: spill === 0 ? 'no spill' : null, tone: k.diskBytesSpilled > 0 ? 'warn' : spill === 0 ? 'good' : null, hint: 'bytes spilled from memory, and written to disk by spills' },
    { id: 'failed-tasks', label: 'Failed tasks', value: number(k.failedTasks), detail: k.killedTasks > 0 ? `${number(k.killedTasks)} killed` : (k.tasks > 0 ? percent(failedRatio) + ' of tasks' : null), tone: k.failedTasks === 0 ? 'good' : failedRatio >= 0.05 ? 'bad' : 'warn', hint: 'task attempts that failed' },
    ...usageCards(a, cluster),
    { id: 'stages-jobs', label: 'Stages / jobs', value: `${number(k.stages)} / ${number(k.jobs)}`, detail: k.failedStages + k.failedJobs > 0 ? `${k.failedStages} stage${k.failedStages === 1 ? '' : 's'}, ${k.failedJobs} job${k.failedJobs === 1 ? '' : 's'} failed` : null, tone: k.failedStages + k.failedJobs > 0 ? 'bad' : null, hint: 'stage attempts and jobs' }
  ]
}

function whatIfView (a: Analysis): DashboardView['whatIf'] {
  const w = a.whatIf
  if (!w) return null
  return {
    rows: w.points.map((p) => ({
      label: p.factor === 1 ? 'today' : `${p.factor}×`,
      executors: Number.isInteger(p.executors) ? String(p.executors) : p.executors.toFixed(1),
      cores: p.cores,
      wallClock: approxDuration(p.wallClockMs),
      today: p.factor === 1,
    })),
    criticalPath: approxDuration(w.criticalPathMs),
    driverOnly: approxDuration(w.driverOnlyMs),
    model: `the replay gives ${approxDuration(w.modelMs)} at today's cores for the ${approxDuration(w.actualMs)} the run took (${w.modelErrorPercent >= 0 ? '+' : ''}${w.modelErrorPercent}%)`,
  }
}

function notices (a: Analysis): LogNotice[] {
  const p = a.parse
  const out: LogNotice[] = []
  if (p.truncated) out.push({ level: 'warn', text: 'The log ends in the middle of a line: it was cut (copied while the application ran, or damaged). The numbers cover what was read.' })
  for (const d of p.damage) {
    out.push({ level: 'warn', text: d.part === '' ? `${d.message}.` : `Part ${d.part} is damaged after ${bytes(d.afterBytes)}: ${d.message}. The numbers cover what could be read.` })
  }
  if (p.badLines.count > 0) {
    const first = p.badLines.first.slice(0, 3).map((b) => `part ${b.part + 1} line ${b.line}`).join(', ')
    out.push({ level: 'warn', text: `${number(p.badLines.count)} line${p.badLines.count === 1 ? ' was' : 's were'} not valid events and ${p.badLines.count === 1 ? 'was' : 'were'} skipped (${first}${p.badLines.count > 3 ? ', …' : ''}).` })
  }
  if (p.incomplete && !p.truncated && p.damage.every((d) => d.part === '')) out.push({ level: 'info', text: 'The log has no application end: the application was still running, crashed, or its last part was not delivered. Durations run to the last event.' })
  return out
}

/** Drops trailing `.`/`,`/`:`/`;` in one pass (/[.,:;]+$/ restarts at every dot of a long run: quadratic). */
export function trimTrailingPunctuation (s: string): string {
  let end = s.length
  while (end > 0 && '.,:;'.includes(s[end - 1]!)) end--
  return s.slice(0, end)
}

function linkEvidence (line: string, stageIds: Set<number>, executorIds: Set<string>): EvidencePart[] {
  const parts: EvidencePart[] = []
  const re = /\b(stages?|executors?) ([A-Za-z0-9_.-]+)/g
  let last = 0
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const kind = m[1]!.startsWith('stage') ? 'stage' : 'executor'
    const id = trimTrailingPunctuation(m[2]!)
    const href = kind === 'stage' ? (/^\d+$/.test(id) && stageIds.has(Number(id)) ? '#' + stageAnchor(Number(id)) : null) : (executorIds.has(id) ? '#' + executorAnchor(id) : null)
    if (href === null) continue
    const start = m.index + m[1]!.length + 1
    if (start > last) parts.push({ text: line.slice(last, start), href: null })
    parts.push({ text: id, href })
    last = start + id.length
  }
  if (last < line.length) parts.push({ text: line.slice(last), href: null })
  return parts
}

function stageKey (s: StageData): number {
  return s.executorRunTime + s.schedulerDelay + s.executorDeserializeTime + s.resultSerializationTime + s.gettingResultTime
}

function stageRow (s: StageData, anchor: string | null, flags: string[]): StageRow {
  const tasks = s.numCompleteTasks > 0 ? s.numCompleteTasks : s.numTasks
  const data = s.inputBytes + s.shuffleReadBytes
  return {
    anchor,
    stageId: s.stageId,
    attemptId: s.attemptId,
    name: s.name,
    status: s.status,
    numTasks: s.numTasks,
    failedTasks: s.numFailedTasks,
    wallMs: s.submissionTime !== undefined && s.completionTime !== undefined ? s.completionTime - s.submissionTime : null,
    taskTimeMs: s.taskTime,
    runMs: s.executorRunTime,
    gcRatio: s.executorRunTime > 0 ? s.jvmGcTime / s.executorRunTime : null,
    schedulerDelayMs: s.schedulerDelay,
    inputBytes: s.inputBytes,
    outputBytes: s.outputBytes,
    shuffleReadBytes: s.shuffleReadBytes,
    shuffleWriteBytes: s.shuffleWriteBytes,
    spillBytes: s.memoryBytesSpilled,
    diskSpillBytes: s.diskBytesSpilled,
    bytesPerTask: tasks > 0 && data > 0 ? Math.round(data / tasks) : null,
    flags
  }
}

function executorRow (e: ExecutorSummary, origin: number | null, flags: string[]): ExecutorRow {
  return {
    anchor: executorAnchor(e.id),
    id: e.id,
    host: e.hostPort,
    cores: e.totalCores,
    addedMs: origin !== null && e.addTime > 0 ? e.addTime - origin : null,
    removedMs: origin !== null && e.removeTime !== undefined ? e.removeTime - origin : null,
    removeReason: e.removeReason ?? null,
    completedTasks: e.completedTasks,
    failedTasks: e.failedTasks,
    tasksLost: e.tasksLost,
    taskTimeMs: e.totalDuration,
    gcRatio: e.totalDuration > 0 ? e.totalGCTime / e.totalDuration : null,
    inputBytes: e.totalInputBytes,
    shuffleReadBytes: e.totalShuffleRead,
    shuffleWriteBytes: e.totalShuffleWrite,
    flags
  }
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }

/** Everything the server-rendered dashboard shows (the charts fetch their own data). */
export function dashboardView (a: Analysis, opts: { allStages?: boolean, allExecutors?: boolean, cluster?: ClusterUsage | null } = {}): DashboardView {
  const origin = a.application.startTime
  const flagsByStage = new Map<number, string[]>()
  const flagsByExecutor = new Map<string, string[]>()
  for (const f of a.flags) {
    for (const id of f.stageIds ?? []) flagsByStage.set(id, [...(flagsByStage.get(id) ?? []), f.title.split(':')[0]!])
    for (const id of f.executorIds ?? []) flagsByExecutor.set(id, [...(flagsByExecutor.get(id) ?? []), f.title.split(':')[0]!])
  }

  // Stages: the longest by time plus every stage a flag names, in stage order.
  const total = a.stages.length
  let chosen = a.stages
  const limited = opts.allStages !== true && total > STAGE_ROWS_ALL_UNDER
  if (limited) {
    const top = new Set([...a.stages].sort((x, y) => stageKey(y) - stageKey(x)).slice(0, STAGE_ROWS))
    chosen = a.stages.filter((s) => top.has(s) || flagsByStage.has(s.stageId))
  }
  chosen = [...chosen].sort((x, y) => x.stageId - y.stageId || x.attemptId - y.attemptId)
  const anchored = new Set<number>()
  const stageRows = chosen.map((s) => {
    const anchor = anchored.has(s.stageId) ? null : stageAnchor(s.stageId)
    anchored.add(s.stageId)
    return stageRow(s, anchor, flagsByStage.get(s.stageId) ?? [])
  })

  const execTotal = a.executors.length
  let execs = a.executors
  const execLimited = opts.allExecutors !== true && execTotal > EXECUTOR_ROWS
  if (execLimited) {
    const top = new Set([...a.executors].sort((x, y) => y.totalDuration - x.totalDuration).slice(0, EXECUTOR_ROWS))
    execs = a.executors.filter((e) => top.has(e) || flagsByExecutor.has(e.id) || e.removeReason !== undefined)
  }
  const executorRows = execs.map((e) => executorRow(e, origin, flagsByExecutor.get(e.id) ?? []))

  const stageIds = new Set(stageRows.filter((r) => r.anchor !== null).map((r) => r.stageId))
  const executorIds = new Set(executorRows.map((r) => r.id))
  const flags = [...a.flags]
    .sort((x, y) => SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity])
    .map((f: Flag): FlagView => ({
      id: f.id,
      severity: f.severity,
      title: f.title,
      impact: impactText(f.impactMs, a.kpis.wallClockMs),
      evidence: f.evidence.map((line) => linkEvidence(line, stageIds, executorIds)),
      stages: (f.stageIds ?? []).map((id) => ({ id, href: stageIds.has(id) ? '#' + stageAnchor(id) : null })),
      executors: (f.executorIds ?? []).map((id) => ({ id, href: executorIds.has(id) ? '#' + executorAnchor(id) : null })),
      recommendationIds: f.recommendationIds
    }))

  const app = a.application
  return {
    title: app.name ?? app.id ?? 'Spark application',
    appName: app.name ?? '(unnamed application)',
    appId: app.id,
    sparkVersion: app.sparkVersion,
    runtime: app.databricksRuntime ?? null,
    startIso: app.startTime === null ? null : new Date(app.startTime).toISOString(),
    kpis: kpiCards(a, opts.cluster ?? null),
    notices: notices(a),
    zeroTasks: a.kpis.tasks === 0,
    flags,
    impactOverlap: impactOverlapText(a.flags.map((f) => f.impactMs), a.kpis.wallClockMs),
    rootCauses: (a.rootCauses ?? []).filter((r) => r.kind !== 'task_killed').slice(0, 3).map((r) => r.line),
    whatIf: whatIfView(a),
    recommendations: a.recommendations,
    stages: { rows: stageRows, total, limited },
    executors: { rows: executorRows, total: execTotal, limited: execLimited }
  }
}
