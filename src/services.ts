import type { Logger } from 'pino'
import type { Config } from './config.js'
import { createFlowStore, type FlowStore } from './store/flow-store.js'
import { createTaskRunner, type TaskRunner, type TaskState } from './tasks/task-runner.js'
import { createTrifactaClient, type TrifactaClient } from './upstream/trifacta-client.js'
import { collectFlow } from './collect/collect-flow.js'
import { join } from 'node:path'
import { createDatabricksClient } from './upstream/databricks-client.js'
import { createDbxService, analysisInput, analyseTaskKey, type DbxService } from './dbx/dbx-service.js'
import { analyseEventLog, writeAnalysisFile } from './eventlog/analyse.js'

/** Where the upstreams are and which tokens they take, once demo mode has been resolved. */
export interface UpstreamTargets {
  aac: { baseUrl: string, token: string }
  onprem: { baseUrl: string, token: string } | null
  databricks: { host: string, token: string } | null
}

/** Everything routes need; routes never touch fs or undici themselves. */
export interface Services {
  readonly config: Config
  readonly demo: boolean
  readonly store: FlowStore
  readonly tasks: TaskRunner
  aac: () => TrifactaClient
  onprem: () => TrifactaClient | null
  /** starts (or joins) the collection of a flow's runs */
  startCollect: (flowName: string) => TaskState
  /** Databricks drill-down (panel, cache) and event log downloads; works without Databricks configured */
  readonly dbx: DbxService
  /** starts (or joins) the download of an AAC run's event log; a finished download starts its analysis */
  startDownload: (flowName: string, jobRunId: string) => TaskState
  /** upstream flow names for the add-flow form; cached, refreshed in the background */
  flowSuggestions: (opts?: { wait?: boolean }) => Promise<string[]>
  close: () => Promise<void>
}

const SUGGESTION_TTL_MS = 5 * 60_000

export function collectTaskKey (flowName: string): string {
  return `collect:${flowName}`
}

/** Builds the service layer of one app instance. */
export function createServices (opts: { config: Config, demo: boolean, targets: UpstreamTargets, log: Logger, retryBaseDelayMs?: number }): Services {
  const { config, log } = opts
  const store = createFlowStore({ dataDir: config.DATA_DIR })
  const tasks = createTaskRunner({ log })
  const common = { timeoutMs: config.UPSTREAM_TIMEOUT_MS, baseDelayMs: opts.retryBaseDelayMs, log }
  const aac = createTrifactaClient({ platform: 'aac', ...opts.targets.aac, ...common })
  const onprem = opts.targets.onprem === null ? null : createTrifactaClient({ platform: 'onprem', ...opts.targets.onprem, ...common })
  const databricks = opts.targets.databricks === null ? null : createDatabricksClient({ ...opts.targets.databricks, ...common })
  const dbx = createDbxService({
    client: databricks,
    store,
    tasks,
    defaultLogRoot: config.DBFS_LOG_ROOT,
    log,
    analyse: (flowName, jobRunId, dir, manifest) => {
      tasks.start('analyse', analyseTaskKey(flowName, jobRunId), async (ctx) => {
        ctx.progress({ unit: 'bytes', total: manifest.totalBytes, message: 'analysing the event log' })
        const analysis = await analyseEventLog(analysisInput(dir, manifest))
        await writeAnalysisFile(analysis, join(dir, 'analysis.json'))
      })
    }
  })

  let suggestions: { at: number, names: string[] } | null = null
  let pending: Promise<string[]> | null = null
  async function refreshSuggestions (): Promise<string[]> {
    pending ??= (async () => {
      try {
        const lists = await Promise.allSettled([aac.listFlowNames(), onprem?.listFlowNames() ?? Promise.resolve([])])
        const names = new Set<string>()
        for (const l of lists) if (l.status === 'fulfilled') l.value.forEach((n) => names.add(n))
        if (lists.every((l) => l.status === 'rejected')) throw (lists[0] as PromiseRejectedResult).reason
        suggestions = { at: Date.now(), names: [...names].sort((a, b) => a.localeCompare(b)) }
        return suggestions.names
      } finally {
        pending = null
      }
    })()
    return await pending
  }

  return {
    config,
    demo: opts.demo,
    store,
    tasks,
    aac: () => aac,
    onprem: () => onprem,
    startCollect (flowName) {
      return tasks.start('collect', collectTaskKey(flowName), async (ctx) => {
        await collectFlow(flowName, {
          aac,
          onprem,
          store,
          limit: config.DEFAULT_LIMIT,
          ranfor: config.RANFOR_FILTER,
          windowMinutes: config.MATCH_WINDOW_MINUTES,
          log
        }, {
          signal: ctx.signal,
          onProgress: (p) => ctx.progress({ done: p.aac + p.onprem, total: config.DEFAULT_LIMIT * (onprem === null ? 1 : 2), unit: 'runs', message: p.message })
        })
      })
    },
    dbx,
    startDownload: (flowName, jobRunId) => dbx.startDownload(flowName, jobRunId),
    async flowSuggestions (so = {}) {
      const fresh = suggestions !== null && Date.now() - suggestions.at < SUGGESTION_TTL_MS
      if (fresh) return suggestions!.names
      if (so.wait === true || suggestions === null) {
        try { return await refreshSuggestions() } catch (err) {
          log.warn({ err: (err as Error).message }, 'could not list upstream flows')
          return suggestions?.names ?? []
        }
      }
      refreshSuggestions().catch(() => {})
      return suggestions.names
    },
    async close () {
      await tasks.close()
      await Promise.allSettled([aac.close(), onprem?.close(), databricks?.close()])
    }
  }
}
