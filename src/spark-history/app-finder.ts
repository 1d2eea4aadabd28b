import type { Run } from '../shared/flow-types.js'
import { UpstreamError } from '../http/upstream-error.js'
import type { SparkApplication, SparkAppAttempt, SparkHistoryClient } from './history-client.js'

/*
 * Which Spark application ran an on-prem Trifacta job. By id when the job reports one; otherwise the History
 * Server's applications that started and ended inside the job's window (with some slack: Trifacta starts the Spark
 * driver after the job starts and stops it before the job ends). When several fit, the user picks one.
 */

/** How far outside the job's window an application may start or end and still be its own. */
export const WINDOW_SLACK_MS = 2 * 60_000

/** One application attempt that can be a run's. */
export interface AppCandidate {
  appId: string
  attemptId: string | null
  name: string
  startTime: number
  endTime: number | null
  sparkUser: string | null
  sparkVersion: string | null
  completed: boolean
}

export type FindResult =
  | { kind: 'found', how: 'id' | 'window' | 'remembered', candidate: AppCandidate }
  | { kind: 'several', candidates: AppCandidate[], window: { from: number, to: number } }
  | { kind: 'none', message: string, window: { from: number, to: number } | null }

/** The time window a run's Spark application must fall in, or null when the run has no usable times. */
export function runWindow (run: Pick<Run, 'submittedAt' | 'startedAt' | 'finishedAt'>, now = Date.now()): { from: number, to: number } | null {
  const from = Date.parse(run.startedAt ?? run.submittedAt)
  const to = run.finishedAt === null ? now : Date.parse(run.finishedAt)
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) return null
  return { from, to }
}

function candidateOf (app: SparkApplication, a: SparkAppAttempt): AppCandidate {
  return { appId: app.id, attemptId: a.attemptId, name: app.name, startTime: a.startTime, endTime: a.endTime, sparkUser: a.sparkUser, sparkVersion: a.appSparkVersion, completed: a.completed }
}

/** The last attempt of an application (the one whose log tells how the run ended). */
export function lastAttempt (app: SparkApplication): AppCandidate | null {
  const a = [...app.attempts].sort((x, y) => x.startTime - y.startTime).at(-1)
  return a === undefined ? null : candidateOf(app, a)
}

/**
 * The application attempts that ran inside the window: started no earlier than `from - slack`, ended no later than
 * `to + slack` (still running counts when the run is still running). Earliest first.
 */
export function candidatesIn (apps: SparkApplication[], window: { from: number, to: number }, opts: { slackMs?: number, runFinished?: boolean } = {}): AppCandidate[] {
  const slack = opts.slackMs ?? WINDOW_SLACK_MS
  const out: AppCandidate[] = []
  for (const app of apps) {
    for (const a of app.attempts) {
      if (a.startTime < window.from - slack || a.startTime > window.to + slack) continue
      if (a.endTime === null ? opts.runFinished !== false : a.endTime > window.to + slack) continue
      out.push(candidateOf(app, a))
    }
  }
  return out.sort((x, y) => x.startTime - y.startTime || x.appId.localeCompare(y.appId))
}

/**
 * Narrows several candidates by name: the one application whose name carries the job's id (or, failing that, its
 * output name) is the job's. Returns the candidates unchanged when no name decides.
 */
export function narrowByName (cands: AppCandidate[], run: Pick<Run, 'jobGroupId' | 'outputName'>): AppCandidate[] {
  if (cands.length < 2) return cands
  const idRe = new RegExp(`(^|[^0-9])${run.jobGroupId}([^0-9]|$)`)
  const byId = cands.filter((c) => idRe.test(c.name))
  if (byId.length > 0) return byId
  const out = run.outputName?.trim().toLowerCase() ?? ''
  if (out !== '') {
    const byOutput = cands.filter((c) => c.name.toLowerCase().includes(out))
    if (byOutput.length > 0) return byOutput
  }
  return cands
}

const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'

/** Finds a run's Spark application through the History Server (see the module comment for the order). */
export async function findApplication (client: Pick<SparkHistoryClient, 'application' | 'listApplications'>, run: Run, opts: { remembered?: { appId: string, attemptId: string | null } | null, signal?: AbortSignal, now?: number, slackMs?: number } = {}): Promise<FindResult> {
  const signal = opts.signal
  if (opts.remembered != null) {
    const app = await client.application(opts.remembered.appId, { signal })
    const a = app.attempts.find((x) => x.attemptId === opts.remembered!.attemptId) ?? null
    if (a !== null) return { kind: 'found', how: 'remembered', candidate: candidateOf(app, a) }
  }
  if (run.sparkAppId != null) {
    try {
      const app = await client.application(run.sparkAppId, { signal })
      const c = lastAttempt(app)
      if (c !== null) return { kind: 'found', how: 'id', candidate: c }
    } catch (err) {
      // an id the server does not know (expired from the History Server, another cluster): look by time instead
      if (!(err instanceof UpstreamError && err.kind === 'not-found')) throw err
    }
  }
  const window = runWindow(run, opts.now)
  if (window === null) return { kind: 'none', message: `Run ${run.jobGroupId} has no start and end time to look for its Spark application with.`, window: null }
  const slack = opts.slackMs ?? WINDOW_SLACK_MS
  const running = run.finishedAt === null
  const apps = await client.listApplications({ minDate: window.from - slack, maxDate: window.to + slack, ...(running ? {} : { status: 'completed' as const }) }, { signal })
  const cands = narrowByName(candidatesIn(apps, window, { slackMs: slack, runFinished: !running }), run)
  if (cands.length === 1) return { kind: 'found', how: 'window', candidate: cands[0]! }
  if (cands.length > 1) return { kind: 'several', candidates: cands, window }
  const idNote = run.sparkAppId != null ? `The job names application ${run.sparkAppId}, which the History Server does not know; ` : ''
  return {
    kind: 'none',
    window,
    message: `${idNote}No Spark application ran between ${fmt(window.from)} and ${fmt(window.to)} (± ${Math.round(slack / 60_000)} min) on the History Server. ` +
      'It may have been cleaned up (spark.history.fs.cleaner.maxAge), or the job ran on another cluster.'
  }
}
