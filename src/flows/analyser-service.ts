import type { FlowStore } from '../store/flow-store.js'
import type { TaskRunner, TaskState } from '../tasks/task-runner.js'
import type { EventLogFiles, EventLogManifest } from '../store/eventlog-files.js'
import { analyseInWorker } from '../spark/analyse-in-worker.js'
import { noEventsReason } from '../spark/analyse.js'
import { analyseTaskKey, downloadTaskKey } from '../databricks/dbx-service.js'
import { ANALYSER_VERSION, isOutdatedAnalyser } from '../spark/analyser-version.js'

/** An action on a run's event log refused because of the log's state (409: a download runs, nothing on disk). */
export class RunLogConflictError extends Error {
  readonly statusCode = 409
  constructor (message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** Why a re-analysis was not started (nothing on disk to analyse, a download of the log running). */
export class ReanalyseRefusedError extends RunLogConflictError {}

/** What a page shows about a run's saved analysis and its re-analysis (the re-analyse box). */
export interface ReanalyseState {
  /** the analyser version the saved analysis records (null: none) */
  recorded: number | null
  /** this Tri-Tracker's */
  current: number
  /** made by an older analyser: its flags may differ */
  outdated: boolean
  /** the run's analyse task of this process (a re-analysis, or the analysis after a download) */
  task: TaskState | null
  /** a downloaded or uploaded log is on disk to analyse again */
  logOnDisk: boolean
  /** a download or upload of the log runs (its analysis follows it) */
  downloading: boolean
}

export interface AnalyserService {
  /**
   * Analyses a run's event log on disk (under its analysis key) in a worker thread with a memory limit, as the run's
   * analyse task, and saves the analysis: what a finished download or upload starts. Pages stay responsive; a log
   * too large for the limit fails the task with a message instead of the process.
   */
  start: (flowName: string, key: string, files: EventLogFiles, manifest: EventLogManifest) => void
  /**
   * Analyses the log already on disk again with this analyser (an analysis made by an older one), without
   * downloading anything: the run's analyse task (the running one when it already runs).
   */
  reanalyse: (flowName: string, key: string) => Promise<TaskState>
  /** the run's analyse task of this process, null when none */
  task: (flowName: string, key: string) => TaskState | null
  /** the re-analyse box of a run whose saved analysis records `recorded` (analyserVersionOf / analyserVersions) */
  state: (flowName: string, key: string, recorded: number | null) => Promise<ReanalyseState>
}

/** Event log analyses of runs: after a download or upload, and again on request from the log on disk. */
export function createAnalyserService (deps: { store: FlowStore, tasks: TaskRunner, maxHeapMb?: number }): AnalyserService {
  const { store, tasks } = deps

  function start (flowName: string, key: string, files: EventLogFiles, manifest: EventLogManifest): void {
    tasks.start('analyse', analyseTaskKey(flowName, key), async (ctx) => {
      ctx.progress({ unit: 'bytes', total: manifest.totalBytes, message: 'analysing the event log' })
      const analysis = await analyseInWorker(files.analysisInput(manifest), {
        signal: ctx.signal,
        ...(deps.maxHeapMb !== undefined ? { maxHeapMb: deps.maxHeapMb } : {})
      })
      // a file with no Spark event in it (an uploaded file of something else, a log damaged from its first byte) has
      // nothing to show: the task fails with why, and an analysis saved before stays (marked stale on its dashboard)
      const empty = noEventsReason(analysis)
      if (empty !== null) throw new Error(`This is not a Spark event log, or it is damaged from its start: ${empty}. Nothing was saved.`)
      await store.analyses.write(flowName, key, analysis)
    })
  }

  return {
    start,
    async reanalyse (flowName, key) {
      const akey = analyseTaskKey(flowName, key)
      const running = tasks.get(akey)
      if (running?.status === 'running') return running
      // a download or upload replaces the log, and its analysis follows it
      if (tasks.get(downloadTaskKey(flowName, key))?.status === 'running') {
        throw new ReanalyseRefusedError('The run\'s event log is being downloaded or uploaded: it is analysed as soon as that ends.')
      }
      const files = store.eventLogs(flowName, key)
      const manifest = await files.readManifest()
      if (manifest === null) {
        throw new ReanalyseRefusedError('The run\'s event log is not on disk any more (or its download never finished): download it again to analyse it.')
      }
      start(flowName, key, files, manifest)
      return tasks.get(akey)!
    },
    task: (flowName, key) => tasks.get(analyseTaskKey(flowName, key)),
    async state (flowName, key, recorded) {
      const task = tasks.get(analyseTaskKey(flowName, key))
      const downloading = tasks.get(downloadTaskKey(flowName, key))?.status === 'running'
      let logOnDisk = false
      if (task?.status !== 'running' && !downloading) {
        try {
          logOnDisk = await store.eventLogs(flowName, key).readManifest() !== null
        } catch {
          logOnDisk = false
        }
      }
      return { recorded, current: ANALYSER_VERSION, outdated: isOutdatedAnalyser(recorded), task, logOnDisk, downloading }
    }
  }
}
