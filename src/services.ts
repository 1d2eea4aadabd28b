import type { Logger } from 'pino'
import type { Config } from './config.js'
import { createFlowStore, type FlowStore } from './store/flow-store.js'
import { createTaskRunner, type TaskRunner } from './tasks/task-runner.js'
import { createDbxService, analyseTaskKey, type DbxService } from './databricks/dbx-service.js'
import { analyseInWorker } from './spark/analyse-in-worker.js'
import { createUpstreams, type Upstreams } from './upstreams/upstreams.js'
import type { UpstreamTargets } from './upstreams/targets.js'
import { createFlowService, type FlowService } from './flows/flow-service.js'

/** The services of one app instance; app.ts hands each to the routes as its own Fastify decorator. */
export interface Services {
  readonly store: FlowStore
  readonly tasks: TaskRunner
  /** the configuration in force and its clients (the settings page replaces them) */
  readonly upstreams: Upstreams
  readonly flows: FlowService
  /** Databricks drill-down (panel, cache) and event log downloads; works without Databricks configured */
  readonly dbx: DbxService
  close: () => Promise<void>
}

/** The composition root of the services: who gets which dependency. */
export function createServices (opts: { config: Config, demo: boolean, targets: UpstreamTargets, log: Logger, retryBaseDelayMs?: number, analysisHeapMb?: number }): Services {
  const { log } = opts
  const store = createFlowStore({ dataDir: opts.config.DATA_DIR })
  const tasks = createTaskRunner({ log })
  const upstreams = createUpstreams({ ...opts, tokenStore: store })
  const flows = createFlowService({ upstreams, store, tasks, log })

  const dbx = createDbxService({
    client: () => upstreams.databricks(),
    store,
    tasks,
    defaultLogRoot: opts.config.DBFS_LOG_ROOT,
    maxEventLogBytes: Math.round(opts.config.MAX_EVENT_LOG_GB * 1024 ** 3),
    log,
    // a finished download is analysed at once, in a worker thread with a memory limit (pages stay responsive; a log
    // too large for it fails the task with a message instead of the process)
    analyse: (flowName, jobRunId, files, manifest) => {
      tasks.start('analyse', analyseTaskKey(flowName, jobRunId), async (ctx) => {
        ctx.progress({ unit: 'bytes', total: manifest.totalBytes, message: 'analysing the event log' })
        const analysis = await analyseInWorker(files.analysisInput(manifest), {
          signal: ctx.signal,
          ...(opts.analysisHeapMb !== undefined ? { maxHeapMb: opts.analysisHeapMb } : {})
        })
        await store.analyses.write(flowName, jobRunId, analysis)
      })
    }
  })

  return {
    store,
    tasks,
    upstreams,
    flows,
    dbx,
    async close () {
      await tasks.close()
      await upstreams.close()
    }
  }
}
