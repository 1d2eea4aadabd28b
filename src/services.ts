import type { Logger } from 'pino'
import type { Config } from './config.js'
import { createFlowStore, type FlowStore } from './store/flow-store.js'
import { createTaskRunner, type TaskRunner, type TaskState } from './tasks/task-runner.js'
import { createDbxService, parseRunTaskKey, type DbxService } from './databricks/dbx-service.js'
import { createUpstreams, type Upstreams } from './upstreams/upstreams.js'
import type { UpstreamTargets } from './upstreams/targets.js'
import { createFlowService, type FlowService } from './flows/flow-service.js'
import { analysisKeyOf } from './flows/analysis-key.js'
import { createHistoryService, type HistoryService } from './spark-history/history-service.js'
import { createUploadService, type UploadService } from './flows/upload-service.js'
import { createAnalyserService, type AnalyserService } from './flows/analyser-service.js'

/** The services of one app instance; app.ts hands each to the routes as its own Fastify decorator. */
export interface Services {
  readonly store: FlowStore
  readonly tasks: TaskRunner
  /** the configuration in force and its clients (the settings page replaces them) */
  readonly upstreams: Upstreams
  readonly flows: FlowService
  /** Databricks drill-down (panel, cache) and event log downloads; works without Databricks configured */
  readonly dbx: DbxService
  /** on-prem runs' Spark applications through the History Server (find, pick, download); works unconfigured */
  readonly history: HistoryService
  /** event log files uploaded on a run's page (bring your own log), analysed like downloads */
  readonly uploads: UploadService
  /** event log analyses: after a download or upload, and again from the log on disk (an older analyser's) */
  readonly analyser: AnalyserService
  close: () => Promise<void>
}

/** The composition root of the services: who gets which dependency. */
export function createServices (opts: { config: Config, demo: boolean, targets: UpstreamTargets, log: Logger, retryBaseDelayMs?: number, analysisHeapMb?: number }): Services {
  const { log } = opts
  const store = createFlowStore({ dataDir: opts.config.DATA_DIR })
  // a failed download or analysis is remembered beside the run's analysis, so its dashboard still says "stale" after
  // a restart (the task list is in memory only); an upload that failed kept nothing and doubts nothing
  const recordFailure = (state: TaskState): void => {
    const run = state.status === 'failed' && state.kind !== 'upload' ? parseRunTaskKey(state.key) : null
    if (run === null) return
    const failure = { what: run.kind === 'download' ? 'download' as const : 'analysis' as const, at: state.finishedAt ?? new Date().toISOString(), error: state.error }
    store.analyses.writeFailure(run.flowName, run.jobRunId, failure)
      .catch((err: unknown) => { log.warn({ flow: run.flowName, jobRunId: run.jobRunId, err: (err as Error).message }, 'could not record the failed task') })
  }
  const tasks = createTaskRunner({ log, onFinish: recordFailure })
  const upstreams = createUpstreams({ ...opts, tokenStore: store })
  const flows = createFlowService({ upstreams, store, tasks, log })

  // a finished download (Databricks, the on-prem History Server) or upload is analysed at once
  const analyser = createAnalyserService({ store, tasks, ...(opts.analysisHeapMb !== undefined ? { maxHeapMb: opts.analysisHeapMb } : {}) })
  const analyse = analyser.start
  const dbx = createDbxService({
    client: () => upstreams.databricks(),
    store,
    tasks,
    defaultLogRoot: opts.config.DBFS_LOG_ROOT,
    s3: () => upstreams.s3(),
    maxEventLogBytes: Math.round(opts.config.MAX_EVENT_LOG_GB * 1024 ** 3),
    log,
    analyse
  })
  const history = createHistoryService({
    client: () => upstreams.sparkHistory(),
    origin: () => upstreams.targets.sparkHistory?.baseUrl ?? '',
    analysisKey: analysisKeyOf,
    store,
    tasks,
    log,
    analyse
  })
  const uploads = createUploadService({ store, tasks, log, analyse })

  return {
    store,
    tasks,
    upstreams,
    flows,
    dbx,
    history,
    uploads,
    analyser,
    async close () {
      await tasks.close()
      await upstreams.close()
    }
  }
}
