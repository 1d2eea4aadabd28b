import type { Logger } from 'pino'
import type { FlowStore } from '../store/flow-store.js'
import type { TaskRunner } from '../tasks/task-runner.js'
import type { EventLogFiles, EventLogManifest } from '../store/eventlog-files.js'
import { receiveUpload, uploadDisplayName } from '../store/eventlog-upload.js'
import { analyseTaskKey, downloadTaskKey } from '../databricks/dbx-service.js'
import { RunLogConflictError } from './analyser-service.js'

/** Why an upload was not taken before a byte was read (a download, upload or analysis of the run's log runs). */
export class UploadBusyError extends RunLogConflictError {}

export interface UploadRequest {
  /** the file's bytes as they arrive */
  stream: AsyncIterable<Uint8Array>
  /** the file name the browser sent (display only) */
  clientName: string
  /** EVENTLOG_UPLOAD_MAX_MB in bytes */
  maxBytes: number
  /** the request's Content-Length when it sent one (progress only: it counts the multipart framing too) */
  expectedBytes?: number | null
}

export interface UploadService {
  /**
   * Receives a file as the event log of the run whose log and analysis live under `key` (analysisKeyOf): it runs
   * as the run's download task (one download or upload at a time, cancellable from the same button, progress on the
   * same partial), replaces the log on disk when complete, and starts the same analysis as a download.
   */
  receive: (flowName: string, key: string, req: UploadRequest) => Promise<EventLogManifest>
}

export interface UploadServiceDeps {
  store: FlowStore
  tasks: TaskRunner
  log: Logger
  /** the follow-up of a finished download: the event log analysis (services.ts) */
  analyse: (flowName: string, key: string, files: EventLogFiles, manifest: EventLogManifest) => void
}

/** Bring your own log: an uploaded file becomes a run's event log and is analysed. */
export function createUploadService (deps: UploadServiceDeps): UploadService {
  const { store, tasks, log } = deps
  return {
    async receive (flowName, key, req) {
      const tkey = downloadTaskKey(flowName, key)
      if (tasks.get(analyseTaskKey(flowName, key))?.status === 'running') {
        throw new UploadBusyError('This run\'s event log is being analysed: upload again when the analysis is done.')
      }
      const files = await store.createEventLogs(flowName, key)
      const shown = uploadDisplayName(req.clientName)
      // written by the task (TypeScript does not follow assignments made in a callback)
      const out: { manifest: EventLogManifest | null, failure: unknown, started: boolean } = { manifest: null, failure: null, started: false }
      // start() calls the function synchronously when it starts a task: `started` tells ours from one already running
      tasks.start('upload', tkey, async (ctx) => {
        out.started = true
        ctx.progress({ done: 0, total: req.expectedBytes ?? null, unit: 'bytes', message: `receiving ${shown}` })
        try {
          out.manifest = await receiveUpload(files, req.stream, {
            clientName: req.clientName,
            maxBytes: req.maxBytes,
            signal: ctx.signal,
            onProgress: (n) => { ctx.progress({ done: n }) }
          })
        } catch (err) {
          out.failure = err
          throw err
        }
        ctx.progress({ message: `received ${shown}` })
      }, () => {
        if (out.manifest !== null) deps.analyse(flowName, key, files, out.manifest)
      })
      if (!out.started) throw new UploadBusyError('A download or upload of this run\'s event log is running: wait for it, or cancel it first.')
      await tasks.wait(tkey)
      if (out.manifest !== null) {
        log.info({ flow: flowName, key, bytes: out.manifest.totalBytes }, 'event log uploaded')
        return out.manifest
      }
      if (tasks.get(tkey)?.status === 'cancelled') throw new UploadBusyError('The upload was cancelled: nothing was kept, the previous log (if any) stays.')
      throw out.failure ?? new Error('The upload failed.')
    }
  }
}
