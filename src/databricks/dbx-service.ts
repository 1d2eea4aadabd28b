import type { Logger } from 'pino'
import type { FlowStore } from '../store/flow-store.js'
import type { TaskRunner, TaskState } from '../tasks/task-runner.js'
import type { DatabricksClient } from './databricks-client.js'
import { isResourceGone } from './databricks-client.js'
import { UpstreamError } from '../http/upstream-error.js'
import { locateEventLog, type LocateResult } from './locate-event-log.js'
import { dbfsSource, downloadEventLog, type DownloadProgress } from './download-event-log.js'
import { volumeSource } from './volume-source.js'
import { s3Source } from '../log-sources/s3-source.js'
import type { S3Client } from '../s3/s3-client.js'
import { pendingDownload, type EventLogFiles, type EventLogManifest } from '../store/eventlog-files.js'
import { asDbxDetails, fetchDbxDetails, isSettled, type DbxDetails } from './dbx-details.js'

/** What the DBX panel shows. */
export interface DbxPanelState {
  status: 'not-configured' | 'ok' | 'gone' | 'error'
  details: DbxDetails | null
  /** when the shown details were fetched */
  cachedAt: string | null
  /** shown from flows/<flow>/dbx/<jobRunId>.json without asking Databricks this time */
  fromCache: boolean
  /** Databricks answered RESOURCE_DOES_NOT_EXIST for the run (retention) */
  goneUpstream: boolean
  /** a notice or error to show above (or instead of) the details */
  message: string | null
}

export type LocateNotFound = Extract<LocateResult, { kind: 'not-found' }>

/** What the download area shows. */
export interface DownloadView {
  task: TaskState | null
  /** live numbers of a running download, else of the last one of this process */
  progress: DownloadProgress | null
  /** why there is nothing to download (reason + what to do); other log sources add their own reasons */
  outcome: (Omit<LocateNotFound, 'reason'> & { reason: string }) | null
  /** a finished download on disk */
  manifest: EventLogManifest | null
  /** the analysis that follows a finished download (this process) */
  analysis: TaskState | null
  /** an interrupted download on disk that a new click resumes */
  pending: { bytesDone: number, bytesTotal: number, partsDone: number, partsTotal: number } | null
}

export interface DbxService {
  readonly configured: boolean
  /** the panel: the cache when settled, else fresh from Databricks (cache as fallback) */
  panel: (flowName: string, jobRunId: string, opts?: { refresh?: boolean, signal?: AbortSignal }) => Promise<DbxPanelState>
  startDownload: (flowName: string, jobRunId: string) => TaskState
  cancelDownload: (flowName: string, jobRunId: string) => boolean
  downloadView: (flowName: string, jobRunId: string) => Promise<DownloadView>
  /** the run's details as last cached (no upstream call): what the dashboard shows beside the analysis */
  cachedDetails: (flowName: string, jobRunId: string) => Promise<DbxDetails | null>
}

export interface DbxServiceDeps {
  /** the client in force (a getter: the settings page can replace or remove it), null when not configured */
  client: DatabricksClient | null | (() => DatabricksClient | null)
  store: FlowStore
  tasks: TaskRunner
  /** DBFS_LOG_ROOT (a dbfs:/ or /Volumes/ path) */
  defaultLogRoot: string
  /** reads logs delivered to S3 (cluster_log_conf.s3); a getter: the settings page replaces it */
  s3?: () => S3Client | null
  log: Logger
  downloadConcurrency?: number
  /** MAX_EVENT_LOG_GB in bytes: a larger log is refused before downloading */
  maxEventLogBytes?: number
  /** the follow-up of a finished download (event log analysis); null skips it */
  analyse?: ((flowName: string, jobRunId: string, files: EventLogFiles, manifest: EventLogManifest) => void) | null
}

export function downloadTaskKey (flowName: string, jobRunId: string): string {
  return `download:${flowName}:${jobRunId}`
}

export function analyseTaskKey (flowName: string, jobRunId: string): string {
  return `analyse:${flowName}:${jobRunId}`
}

/** The flow and run of a download or analysis task key (the inverse of the two above), or null for other keys. */
export function parseRunTaskKey (key: string): { kind: 'download' | 'analyse', flowName: string, jobRunId: string } | null {
  const m = /^(download|analyse):(.+):([^:]+)$/s.exec(key)
  return m === null ? null : { kind: m[1] as 'download' | 'analyse', flowName: m[2]!, jobRunId: m[3]! }
}

const GONE_MESSAGE = 'Databricks keeps runs about 60 days; this one is gone.'

function describe (err: unknown): string {
  if (err instanceof UpstreamError) return err.message
  return 'Something went wrong while asking Databricks; the details are in the server log.'
}

/** The Databricks drill-down and event log download of AAC runs. */
export function createDbxService (deps: DbxServiceDeps): DbxService {
  const { store, tasks, log } = deps
  const currentClient = (): DatabricksClient | null => typeof deps.client === 'function' ? deps.client() : deps.client
  const inflight = new Map<string, Promise<DbxPanelState>>()
  const live = new Map<string, DownloadProgress>()
  const outcomes = new Map<string, LocateNotFound>()

  async function readCache (flowName: string, jobRunId: string): Promise<{ details: DbxDetails, cachedAt: string } | null> {
    try {
      const entry = await store.readDbx(flowName, jobRunId)
      const details = entry === null ? null : asDbxDetails(entry.data)
      return details === null || entry === null ? null : { details, cachedAt: entry.cachedAt }
    } catch (err) {
      log.warn({ flow: flowName, jobRunId, err: (err as Error).message }, 'unreadable Databricks cache; fetching again')
      return null
    }
  }

  async function load (flowName: string, jobRunId: string, refresh: boolean, signal?: AbortSignal): Promise<DbxPanelState> {
    const cache = await readCache(flowName, jobRunId)
    const client = currentClient()
    const fromCache = (message: string | null, goneUpstream = false): DbxPanelState => ({ status: 'ok', details: cache!.details, cachedAt: cache!.cachedAt, fromCache: true, goneUpstream, message })
    if (client === null) {
      return cache === null
        ? { status: 'not-configured', details: null, cachedAt: null, fromCache: false, goneUpstream: false, message: 'Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN to see this run\'s cluster and events.' }
        : fromCache('Databricks is not configured; showing the copy saved earlier.')
    }
    if (cache !== null && !refresh && isSettled(cache.details)) return fromCache(null)
    try {
      const details = await fetchDbxDetails(client, jobRunId, { signal })
      const entry = await store.writeDbx(flowName, jobRunId, details)
      return { status: 'ok', details, cachedAt: entry.cachedAt, fromCache: false, goneUpstream: false, message: null }
    } catch (err) {
      if (isResourceGone(err)) {
        return cache === null
          ? { status: 'gone', details: null, cachedAt: null, fromCache: false, goneUpstream: true, message: GONE_MESSAGE }
          : fromCache(`${GONE_MESSAGE} Showing the copy saved on ${cache.cachedAt.slice(0, 16).replace('T', ' ')} UTC.`, true)
      }
      log.warn({ flow: flowName, jobRunId, err: describe(err) }, 'Databricks drill-down failed')
      return cache === null
        ? { status: 'error', details: null, cachedAt: null, fromCache: false, goneUpstream: false, message: describe(err) }
        : fromCache(`Could not refresh from Databricks (${describe(err)}); showing the saved copy.`)
    }
  }

  async function findLog (flowName: string, jobRunId: string, signal: AbortSignal): Promise<{ located: LocateResult, details: DbxDetails }> {
    const state = await load(flowName, jobRunId, false, signal)
    if (state.details === null) throw new Error(state.message ?? 'The run\'s Databricks details are not available.')
    const d = state.details
    const terminal = d.run.lifeCycle === 'TERMINATED' || d.run.lifeCycle === 'SKIPPED' || d.run.lifeCycle === 'INTERNAL_ERROR'
    const client = currentClient()
    if (client === null) throw new Error('Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN.')
    const located = await locateEventLog(client, {
      clusterId: d.clusterId,
      sparkContextId: d.sparkContextId,
      logConf: d.logConf,
      defaultRoot: deps.defaultLogRoot,
      endedAt: terminal ? (d.run.endTime ?? d.cluster?.terminatedTime ?? null) : null,
      runGone: state.goneUpstream
    }, { signal, s3: deps.s3?.() ?? null })
    return { located, details: d }
  }

  return {
    get configured () { return currentClient() !== null },

    async cachedDetails (flowName, jobRunId) {
      return (await readCache(flowName, jobRunId))?.details ?? null
    },

    async panel (flowName, jobRunId, opts = {}) {
      const key = `${flowName}\u0000${jobRunId}\u0000${opts.refresh === true ? 'r' : ''}`
      // a page render and a click on refresh at once ask Databricks once
      let p = inflight.get(key)
      if (p === undefined) {
        p = load(flowName, jobRunId, opts.refresh === true, opts.signal).finally(() => inflight.delete(key))
        inflight.set(key, p)
      }
      return await p
    },

    startDownload (flowName, jobRunId) {
      const key = downloadTaskKey(flowName, jobRunId)
      const client = currentClient()
      if (client === null) throw new Error('Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN.')
      const s3 = deps.s3?.() ?? null
      let manifest: EventLogManifest | null = null
      let files: EventLogFiles | null = null
      return tasks.start('download', key, async (ctx) => {
        outcomes.delete(key)
        live.delete(key)
        ctx.progress({ done: 0, total: null, unit: 'bytes', message: 'looking for the event log' })
        const { located, details } = await findLog(flowName, jobRunId, ctx.signal)
        if (located.kind === 'not-found') {
          outcomes.set(key, located)
          throw new Error(located.message)
        }
        files = await store.createEventLogs(flowName, jobRunId)
        const existing = await files.readManifest()
        const same = existing !== null && existing.parts.length === located.parts.length &&
          existing.parts.every((p, i) => p.name === located.parts[i]?.name && p.size === located.parts[i]?.size)
        if (same) {
          manifest = existing
          ctx.progress({ done: existing.totalBytes, total: existing.totalBytes, message: 'already downloaded' })
          return
        }
        ctx.progress({ done: 0, total: located.totalBytes, message: `downloading ${located.parts.length} part${located.parts.length === 1 ? '' : 's'}` })
        manifest = await downloadEventLog({
          logSource: located.s3Place !== undefined && s3 !== null ? s3Source(s3, located.s3Place) : located.store === 'volume' ? volumeSource(client, located.destination) : dbfsSource(client),
          parts: located.parts,
          files,
          source: { destination: located.destination, folder: located.folder, clusterId: details.clusterId, sparkContextId: details.sparkContextId },
          concurrency: deps.downloadConcurrency,
          ...(deps.maxEventLogBytes !== undefined ? { maxTotalBytes: deps.maxEventLogBytes } : {}),
          signal: ctx.signal,
          log,
          onProgress: (p) => {
            live.set(key, p)
            ctx.progress({ done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', message: `part ${Math.min(p.partsDone + 1, p.partsTotal)} of ${p.partsTotal}` })
          }
        })
        ctx.progress({ message: 'downloaded' })
      }, () => {
        if (manifest !== null && files !== null && deps.analyse != null) deps.analyse(flowName, jobRunId, files, manifest)
      })
    },

    cancelDownload (flowName, jobRunId) {
      return tasks.cancel(downloadTaskKey(flowName, jobRunId))
    },

    async downloadView (flowName, jobRunId) {
      const key = downloadTaskKey(flowName, jobRunId)
      const task = tasks.get(key)
      const files = store.eventLogs(flowName, jobRunId)
      const running = task?.status === 'running'
      return {
        task,
        analysis: tasks.get(analyseTaskKey(flowName, jobRunId)),
        progress: live.get(key) ?? null,
        outcome: outcomes.get(key) ?? null,
        manifest: running ? null : await files.readManifest(),
        pending: running ? null : await pendingDownload(files)
      }
    }
  }
}
