import { createRng } from './rng.js'
import { HISTORY_SAMPLES, type HistorySampleId } from './history-samples.js'
import { DAY, MIN, type FlowPlan } from './world-plan.js'
import type { HistoryWorld, SimJobGroup, SimSparkApp, SimSparkAttempt } from './world-types.js'

/*
 * The on-prem cluster's Spark History Server: one YARN application per on-prem Spark job that started, laid out in
 * the job's execution window (a real log moved there), plus the noise a shared cluster has (ad-hoc shells, a
 * long-running Thrift server). Applications that ended more than HISTORY_MAX_AGE ago were cleaned up
 * (spark.history.fs.cleaner.maxAge), as on a real server.
 */

export const HISTORY_MAX_AGE_MS = 30 * DAY
/** the YARN ResourceManager's start: application ids are application_<this>_<sequence> */
const RM_START_OFFSET_MS = 120 * DAY

/** One on-prem Spark job as the world generated it. */
export interface OnpremExec {
  jg: SimJobGroup
  plan: FlowPlan
  output: number
  k: number
  /** execution start and end of the wrangle job, epoch ms */
  start: number
  end: number
  /** when its Spark application starts (YARN has started the driver): its log is moved there */
  appStart: number
  failed: boolean
}

/** Flows whose on-prem Trifacta reports the YARN application id in the wrangle job's cpJobId. */
export const REPORTS_APP_ID = new Set(['Sales Daily', 'Sales Daily (copy)'])

// each flow keeps its kind of workload on the on-prem cluster
const FLOW_SAMPLES: Record<string, HistorySampleId> = {
  'Ventes — Europe/Ouest': 'yarn-3.1.1-dynalloc',
  'R&D #7 — 100% Q/A': 'yarn-3.1.1-dynalloc',
  'Marketing Mix': 'yarn-3.1.1-dynalloc',
  'Inventory Sync': 'yarn-3.1.3-nds-q66'
}

/** The real log an on-prem Spark job of this flow gets: a failed job's has failed tasks and lost executors. */
export function historySampleFor (flowName: string, failed: boolean): HistorySampleId {
  if (failed) return 'yarn-3.1.1-exec-fail'
  return FLOW_SAMPLES[flowName] ?? 'yarn-3.1.1-sql'
}

/** a failed job's driver is retried once by YARN after this pause: the second attempt starts after the first's third */
export const RETRY_PAUSE_MS = 15_000

/** How long a job's application(s) run: a failed job may have a short first attempt and a retried full one. */
export function historyAppsMs (sample: HistorySampleId, failed: boolean): number {
  const def = HISTORY_SAMPLES[sample]
  const dur = def.endTime - def.startTime
  return failed ? Math.round(dur / 3) + RETRY_PAUSE_MS + dur : dur
}

function sampleFor (e: OnpremExec): HistorySampleId {
  return historySampleFor(e.plan.name, e.failed)
}

/** Builds the History Server's applications for the world's on-prem Spark jobs (deterministic per seed). */
export function buildHistoryWorld (execs: OnpremExec[], opts: { seed: string, now: number }): HistoryWorld {
  const rng = createRng(`${opts.seed}:history`)
  const rmStart = Math.floor((opts.now - RM_START_OFFSET_MS) / 1000) * 1000
  const sorted = [...execs].sort((a, b) => a.start - b.start)
  const apps: SimSparkApp[] = []
  const byJobGroup = new Map<number, string>()
  let seq = 1_000
  const nextId = (): string => `application_${rmStart}_${String(seq += rng.int(1, 6)).padStart(4, '0')}`
  let nextNoise = sorted[0]?.start ?? opts.now
  for (const e of sorted) {
    // a few ad-hoc shells between the scheduled jobs (never inside a job's window: they would be candidates)
    while (nextNoise < e.start - 30 * MIN) {
      const start = nextNoise
      const dur = rng.int(2 * MIN, 20 * MIN)
      apps.push({ id: nextId(), name: 'Spark shell', jobGroupId: null, attempts: [{ attemptId: null, startTime: start, endTime: start + dur, sparkUser: rng.pick(['dana', 'lea', 'sam']), completed: true, sparkVersion: '3.1.1', sample: null, shiftMs: 0 }] })
      nextNoise += rng.int(6 * 60 * MIN, 40 * 60 * MIN)
    }
    const sample = sampleFor(e)
    const def = HISTORY_SAMPLES[sample]
    const dur = def.endTime - def.startTime
    // the driver starts a little after the job (the world laid the job out around its application)
    const start = e.appStart
    const running = e.jg.status === 'InProgress'
    const shiftMs = start - def.startTime
    const end = start + dur
    const id = nextId()
    const multi = e.plan.outputs.length > 1
    // cluster mode (attempt "1") for scheduled jobs; YARN retries a failed driver once (attempt "2")
    const attempts: SimSparkAttempt[] = []
    if (e.failed && rng.chance(0.5)) {
      attempts.push({ attemptId: '1', startTime: start, endTime: start + Math.round(dur / 3), sparkUser: 'trifacta', completed: true, sparkVersion: def.sparkVersion, sample, shiftMs })
      const s2 = start + Math.round(dur / 3) + RETRY_PAUSE_MS
      attempts.push({ attemptId: '2', startTime: s2, endTime: s2 + dur, sparkUser: 'trifacta', completed: true, sparkVersion: def.sparkVersion, sample, shiftMs: s2 - def.startTime })
    } else {
      attempts.push({ attemptId: '1', startTime: start, endTime: running && end > opts.now ? 0 : end, sparkUser: 'trifacta', completed: !(running && end > opts.now), sparkVersion: def.sparkVersion, sample, shiftMs })
    }
    const last = attempts[attempts.length - 1]!
    if (last.completed && last.endTime < opts.now - HISTORY_MAX_AGE_MS) continue
    // older Trifacta names the application after the job; the multi-output flows' engine gives it a generic name
    const name = multi ? 'Trifacta Transformer' : `Trifacta Transformer · ${e.plan.outputs[e.output] ?? ''} · job ${e.jg.id}`
    apps.push({ id, name, jobGroupId: e.jg.id, attempts })
    byJobGroup.set(e.jg.id, id)
  }
  // a Thrift server that runs all the time: never complete, never a candidate of a finished run
  const thriftStart = opts.now - 9 * DAY
  apps.push({ id: nextId(), name: 'Thrift JDBC/ODBC Server', jobGroupId: null, attempts: [{ attemptId: null, startTime: thriftStart, endTime: 0, sparkUser: 'hive', completed: false, sparkVersion: '3.1.1', sample: null, shiftMs: 0 }] })
  // newest first, as the History Server lists them
  apps.sort((a, b) => b.attempts[0]!.startTime - a.attempts[0]!.startTime)
  return { apps, byJobGroup }
}
