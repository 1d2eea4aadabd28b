import type { Logger } from 'pino'
import type { Run } from '../shared/flow-types.js'
import type { FlowStore } from '../store/flow-store.js'
import type { TaskRunner } from '../tasks/task-runner.js'
import { pendingDownload, type AppChoice, type EventLogFiles, type EventLogManifest } from '../store/eventlog-files.js'
import { UpstreamError } from '../http/upstream-error.js'
import { analyseTaskKey, downloadTaskKey, type DownloadView } from '../databricks/dbx-service.js'
import type { SparkHistoryClient } from './history-client.js'
import { findApplication, type AppCandidate, type FindResult } from './app-finder.js'
import { downloadAppLogs, type AppLogProgress } from './download-app-logs.js'

/** What the on-prem Spark panel of a run shows. */
export interface HistoryPanel {
  configured: boolean
  /** the folder key of the run's log and analysis (onprem-<jobGroupId>) */
  key: string
  /** the application the log comes (or will come) from, when known */
  choice: AppChoice | null
  /** what the finder says now (null when not asked: not configured, or a log is already on disk) */
  found: FindResult | null
  /** the History Server could not be asked (message names it and why) */
  error: string | null
  download: DownloadView
}

export interface HistoryService {
  readonly configured: boolean
  /** the folder key of an on-prem run's log and analysis */
  keyOf: (run: Run) => string
  panel: (flowName: string, run: Run, opts?: { signal?: AbortSignal }) => Promise<HistoryPanel>
  /** remembers the user's pick among several applications; the History Server must know it */
  choose: (flowName: string, run: Run, appId: string, attemptId: string | null) => Promise<AppCandidate>
  startDownload: (flowName: string, run: Run) => void
  cancelDownload: (flowName: string, run: Run) => boolean
  downloadView: (flowName: string, run: Run) => Promise<DownloadView>
}

export interface HistoryServiceDeps {
  /** the client in force (the settings page can replace or remove it), null when not configured */
  client: () => SparkHistoryClient | null
  /** where the client points (shown as the manifest's source; no secrets) */
  origin: () => string
  store: FlowStore
  tasks: TaskRunner
  log: Logger
  /** the run's event log / analysis key (flows' analysisKeyOf: the composition root hands it in) */
  analysisKey: (run: Run) => string | null
  analyse?: ((flowName: string, key: string, files: EventLogFiles, manifest: EventLogManifest) => void) | null
}

const NOT_CONFIGURED = 'The Spark History Server is not configured: set SPARK_HISTORY_SERVER_URL (and its authentication) on the settings page.'

function describe (err: unknown): string {
  if (err instanceof UpstreamError) return err.message
  return 'Something went wrong while asking the Spark History Server; the details are in the server log.'
}

/** Finds, downloads and analyses the Spark event logs of on-prem runs through the History Server. */
export function createHistoryService (deps: HistoryServiceDeps): HistoryService {
  const { store, tasks, log } = deps
  const live = new Map<string, AppLogProgress>()
  const outcomes = new Map<string, NonNullable<DownloadView['outcome']>>()
  const keyOf = (run: Run): string => {
    const key = run.platform === 'onprem' ? deps.analysisKey(run) : null
    if (key === null) throw new Error(`run ${run.jobGroupId} is not an on-prem run`)
    return key
  }

  async function view (flowName: string, key: string): Promise<DownloadView> {
    const tkey = downloadTaskKey(flowName, key)
    const task = tasks.get(tkey)
    const files = store.eventLogs(flowName, key)
    const running = task?.status === 'running'
    const p = live.get(tkey)
    return {
      task,
      analysis: tasks.get(analyseTaskKey(flowName, key)),
      progress: p === undefined ? null : { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal ?? 0, partsDone: p.partsDone, partsTotal: p.partsTotal, chunksRead: 0, chunksSkipped: 0 },
      outcome: outcomes.get(tkey) ?? null,
      manifest: running ? null : await files.readManifest(),
      pending: running ? null : await pendingDownload(files)
    }
  }

  async function find (client: SparkHistoryClient, flowName: string, run: Run, signal?: AbortSignal): Promise<{ found: FindResult, choice: AppChoice | null }> {
    const choice = await store.eventLogs(flowName, keyOf(run)).readAppChoice()
    const found = await findApplication(client, run, { remembered: choice, signal })
    return { found, choice }
  }

  return {
    get configured () { return deps.client() !== null },
    keyOf,

    async panel (flowName, run, opts = {}) {
      const key = keyOf(run)
      const download = await view(flowName, key)
      const choice = await store.eventLogs(flowName, key).readAppChoice()
      const client = deps.client()
      const base = { configured: client !== null, key, choice, download }
      // a log on disk or on its way: nothing to look up
      if (client === null || download.manifest !== null || download.task?.status === 'running') return { ...base, found: null, error: null }
      try {
        const r = await find(client, flowName, run, opts.signal)
        return { ...base, found: r.found, error: null }
      } catch (err) {
        log.warn({ flow: flowName, jobGroupId: run.jobGroupId, err: describe(err) }, 'Spark History Server lookup failed')
        return { ...base, found: null, error: describe(err) }
      }
    },

    async choose (flowName, run, appId, attemptId) {
      const client = deps.client()
      if (client === null) throw new Error(NOT_CONFIGURED)
      const app = await client.application(appId)
      const a = app.attempts.find((x) => x.attemptId === attemptId)
      if (a === undefined) throw new UpstreamError({ upstream: 'Spark History Server', kind: 'not-found', status: 404, message: `The Spark History Server has no attempt ${attemptId ?? '(single)'} of ${appId}.` })
      const files = await store.createEventLogs(flowName, keyOf(run))
      await files.writeAppChoice({ schemaVersion: 1, appId: app.id, attemptId, how: 'user', at: new Date().toISOString() })
      return { appId: app.id, attemptId, name: app.name, startTime: a.startTime, endTime: a.endTime, sparkUser: a.sparkUser, sparkVersion: a.appSparkVersion, completed: a.completed }
    },

    startDownload (flowName, run) {
      const key = keyOf(run)
      const tkey = downloadTaskKey(flowName, key)
      const client = deps.client()
      if (client === null) throw new Error(NOT_CONFIGURED)
      let manifest: EventLogManifest | null = null
      let files: EventLogFiles | null = null
      tasks.start('download', tkey, async (ctx) => {
        outcomes.delete(tkey)
        live.delete(tkey)
        ctx.progress({ done: 0, total: null, unit: 'bytes', message: 'looking for the Spark application' })
        const { found } = await find(client, flowName, run, ctx.signal)
        if (found.kind === 'none') {
          outcomes.set(tkey, { kind: 'not-found', reason: 'no-app', message: found.message, hint: 'Check the History Server\'s retention, or that the job ran on the cluster it serves.', looked: [] })
          throw new Error(found.message)
        }
        if (found.kind === 'several') throw new Error(`${found.candidates.length} Spark applications ran in this run's window: pick the one that is this run's first.`)
        const c = found.candidate
        files = await store.createEventLogs(flowName, key)
        if (found.how !== 'remembered') await files.writeAppChoice({ schemaVersion: 1, appId: c.appId, attemptId: c.attemptId, how: found.how, at: new Date().toISOString() })
        ctx.progress({ message: `downloading ${c.appId}${c.attemptId === null ? '' : ` attempt ${c.attemptId}`}` })
        manifest = await downloadAppLogs({
          client,
          appId: c.appId,
          attemptId: c.attemptId,
          files,
          origin: deps.origin(),
          signal: ctx.signal,
          log,
          onProgress: (p) => {
            live.set(tkey, p)
            ctx.progress({ done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', message: p.resumedFrom > 0 ? `resumed at ${Math.round(p.resumedFrom / 1024)} KiB` : `downloading ${c.appId}` })
          }
        })
        ctx.progress({ message: 'downloaded' })
      }, () => {
        if (manifest !== null && files !== null && deps.analyse != null) deps.analyse(flowName, key, files, manifest)
      })
    },

    cancelDownload (flowName, run) {
      return tasks.cancel(downloadTaskKey(flowName, keyOf(run)))
    },

    async downloadView (flowName, run) {
      return await view(flowName, keyOf(run))
    }
  }
}
