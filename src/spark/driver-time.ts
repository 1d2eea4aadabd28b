// The time with no Spark job running, split into the driver busy and the application idle.
//
// A gap in the job timeline is one of two things a Spark performance engineer keeps apart:
// - the driver busy: driver-side work the run waits for (query planning, broadcast building, collecting results,
//   Python/pandas on the driver, file listing, start-up); it is wall clock of the run and no executor shortens it;
// - the application idle: an interactive session (Spark shell, notebook) waiting for its user between commands, or
//   left open after its last job; the cluster is held (a cost), but it is not why a run is slow.
// The log does not say which directly. What it does say, and what this uses:
// - a SQL execution that spans the gap: the driver is inside a query (planning, AQE re-planning, broadcast, result
//   handling) → busy, in any application;
// - on Databricks, the jobs on both sides of the gap in the same job group (one per notebook command run) → busy;
// - otherwise the kind of application: in a batch application the driver runs the code between actions → busy; in an
//   interactive session the rest of the gap is the session waiting → idle.
// An interactive session is recognised by its shell's application name (Spark shell, PySparkShell, sparkR, Zeppelin,
// Livy), by jobs called from the Scala REPL ("count at <console>:22"), or on Databricks by a cluster created from the
// workspace UI (clusterCreator "Webapp": an all-purpose cluster) while a job cluster (JobLauncher) is batch.
import type { Analysis, JobData } from './analysis-types.js'

export interface DriverSegment {
  start: number
  end: number
  kind: 'busy' | 'idle'
  /** what the segment is, for the evidence ("between commands: the session waited", …) */
  why: string
}

export interface DriverTime {
  /** how the application was recognised as an interactive session; null for a batch application */
  interactive: string | null
  /** the idle gaps of the timeline cut into busy and idle segments, in time order */
  segments: DriverSegment[]
  busyMs: number
  idleMs: number
}

const SHELL_NAME = /^(spark shell|pysparkshell|sparkr|zeppelin|livy-session-\d+|thrift jdbc\/odbc server)/i
const REPL_CALLSITE = /\bat <console>:\d+/

/** Why the application is an interactive session, or null when it is a batch application. */
export function interactiveSession (a: Analysis): string | null {
  const props = new Map(a.environment.sparkProperties)
  const creator = props.get('spark.databricks.clusterUsageTags.clusterCreator')
  if (creator === 'Webapp') return 'a Databricks all-purpose cluster created from the workspace (clusterCreator Webapp)'
  if (creator !== undefined && creator !== '') return null
  const name = a.application.name ?? props.get('spark.app.name') ?? ''
  if (SHELL_NAME.test(name)) return `an interactive shell (application "${name}")`
  const repl = a.jobs.find((j) => REPL_CALLSITE.test(j.name))
  if (repl !== undefined) return `an interactive shell (job ${repl.jobId} runs "${repl.name}")`
  return null
}

/** Splits the timeline's idle gaps into driver-busy and application-idle segments (see the file's header). */
export function driverTime (a: Analysis): DriverTime {
  const interactive = interactiveSession(a)
  const props = new Map(a.environment.sparkProperties)
  const databricks = a.application.databricksRuntime !== undefined || [...props.keys()].some((k) => k.startsWith('spark.databricks.clusterUsageTags.'))
  const jobs = a.jobs.filter((j) => j.submissionTime !== undefined).sort((x, y) => x.submissionTime! - y.submissionTime!)
  const firstJob = jobs[0]?.submissionTime ?? Infinity
  const lastJobEnd = jobs.reduce((m, j) => Math.max(m, j.completionTime ?? j.submissionTime!), -Infinity)
  const appEnd = a.application.endTime ?? Infinity
  // SQL executions as spans (one without an end runs to the end of the application), merged where they overlap so
  // that one pass over the gaps and the spans, both in time order, splits every gap (a log may hold thousands of each)
  const sqls: { from: number; to: number; id: number }[] = []
  for (const q of a.sql.filter((x) => x.submissionTime !== undefined).sort((x, y) => x.submissionTime! - y.submissionTime!)) {
    const from = q.submissionTime!
    const to = q.completionTime ?? appEnd
    const last = sqls[sqls.length - 1]
    if (last !== undefined && from <= last.to) last.to = Math.max(last.to, to)
    else sqls.push({ from, to, id: q.executionId })
  }
  let next = 0

  const segments: DriverSegment[] = []
  const push = (start: number, end: number, kind: DriverSegment['kind'], why: string): void => {
    if (end <= start) return
    const last = segments[segments.length - 1]
    if (last !== undefined && last.kind === kind && last.why === why && last.end === start) last.end = end
    else segments.push({ start, end, kind, why })
  }
  for (const g of a.timeline.idleGaps) {
    const where = g.end <= firstJob ? 'before' : g.start >= lastJobEnd ? 'after' : 'between'
    const sameCommand = databricks && where === 'between' ? commandAround(jobs, g) : null
    if (sameCommand !== null) {
      push(g.start, g.end, 'busy', `inside one notebook command (its jobs on both sides share job group ${sameCommand}): driver-side code`)
      continue
    }
    const rest = interactive !== null
      ? { kind: 'idle' as const, why: where === 'before' ? 'before the first job: the session waited for its user' : where === 'after' ? 'after the last job: the session was left open' : 'between jobs, outside any query: the session waited for its user' }
      : { kind: 'busy' as const, why: where === 'before' ? 'before the first job: start-up and driver code' : where === 'after' ? 'after the last job: driver code and shutdown' : 'between jobs: driver code' }
    let cursor = g.start
    while (next < sqls.length && sqls[next]!.to <= g.start) next++
    for (let i = next; i < sqls.length && sqls[i]!.from < g.end; i++) {
      const q = sqls[i]!
      push(cursor, Math.max(cursor, q.from), rest.kind, rest.why)
      const to = Math.min(g.end, q.to)
      push(Math.max(cursor, q.from), to, 'busy', `inside SQL execution ${q.id}: planning, broadcasts or results on the driver`)
      cursor = Math.max(cursor, to)
    }
    push(cursor, g.end, rest.kind, rest.why)
  }
  const sum = (k: DriverSegment['kind']): number => segments.filter((s) => s.kind === k).reduce((x, s) => x + s.end - s.start, 0)
  return { interactive, segments, busyMs: sum('busy'), idleMs: sum('idle') }
}

/** The job group shared by the last job before a gap and the first job after it (a Databricks command run), or null. */
function commandAround (jobs: JobData[], g: { start: number; end: number }): string | null {
  let before: JobData | undefined
  let after: JobData | undefined
  for (const j of jobs) {
    if ((j.completionTime ?? j.submissionTime!) <= g.start) before = j
    else if (after === undefined && j.submissionTime! >= g.end) after = j
  }
  const group = before?.jobGroup
  return group !== undefined && group !== '' && group === after?.jobGroup ? group : null
}
