import type { Logger } from 'pino'
import type { Config } from './config.js'
import { createFlowStore, type FlowStore } from './store/flow-store.js'
import { createTaskRunner, type TaskRunner, type TaskState } from './tasks/task-runner.js'
import { createTrifactaClient, type TrifactaClient } from './trifacta/trifacta-client.js'
import { collectFlow } from './flows/collect-flow.js'
import { pairFlowRuns } from './flows/match.js'
import { join } from 'node:path'
import { createDatabricksClient, type DatabricksClient } from './databricks/databricks-client.js'
import { createDbxService, analysisInput, analyseTaskKey, type DbxService } from './databricks/dbx-service.js'
import { analyseEventLog, writeAnalysisFile } from './spark/analyse.js'
import { createAnalysisFiles, type AnalysisFiles } from './store/analysis-files.js'

/** Where the upstreams are and which tokens they take, once demo mode has been resolved. */
export interface UpstreamTargets {
  aac: { baseUrl: string, token: string }
  onprem: { baseUrl: string, token: string } | null
  databricks: { host: string, token: string } | null
}

/** Everything routes need; routes never touch fs or undici themselves. */
export interface Services {
  /** the configuration in force (the settings page can replace it) */
  readonly config: Config
  readonly demo: boolean
  /** where the clients point now (tokens included: never render this) */
  readonly targets: UpstreamTargets
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
  /** saved event log analyses (the dashboard's data) */
  readonly analyses: AnalysisFiles
  /** upstream flow names for the add-flow form; cached, refreshed in the background */
  flowSuggestions: (opts?: { wait?: boolean }) => Promise<string[]>
  /** points every client at new targets with a new configuration, without a restart */
  reconfigure: (next: { config: Config, demo: boolean, targets: UpstreamTargets }) => void
  /** the Databricks client in force, or null when not configured */
  databricks: () => DatabricksClient | null
  close: () => Promise<void>
}

const SUGGESTION_TTL_MS = 5 * 60_000

export function collectTaskKey (flowName: string): string {
  return `collect:${flowName}`
}

/** Builds the service layer of one app instance. */
export function createServices (opts: { config: Config, demo: boolean, targets: UpstreamTargets, log: Logger, retryBaseDelayMs?: number }): Services {
  const { log } = opts
  const store = createFlowStore({ dataDir: opts.config.DATA_DIR })
  const tasks = createTaskRunner({ log })

  /** Everything that depends on the configuration; swapped whole by reconfigure(). */
  interface Connections {
    config: Config
    demo: boolean
    targets: UpstreamTargets
    aac: TrifactaClient
    onprem: TrifactaClient | null
    databricks: DatabricksClient | null
  }
  function connect (config: Config, demo: boolean, targets: UpstreamTargets): Connections {
    const common = { timeoutMs: config.UPSTREAM_TIMEOUT_MS, baseDelayMs: opts.retryBaseDelayMs, log }
    return {
      config,
      demo,
      targets,
      aac: createTrifactaClient({ platform: 'aac', ...targets.aac, ...common }),
      onprem: targets.onprem === null ? null : createTrifactaClient({ platform: 'onprem', ...targets.onprem, ...common }),
      databricks: targets.databricks === null ? null : createDatabricksClient({ ...targets.databricks, ...common })
    }
  }
  let cx = connect(opts.config, opts.demo, opts.targets)
  // Clients replaced by reconfigure() may still serve running tasks; they are closed at shutdown.
  const retired: Connections[] = []

  const dbx = createDbxService({
    client: () => cx.databricks,
    store,
    tasks,
    defaultLogRoot: opts.config.DBFS_LOG_ROOT,
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
        const lists = await Promise.allSettled([cx.aac.listFlowNames(), cx.onprem?.listFlowNames() ?? Promise.resolve([])])
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
    get config () { return cx.config },
    get demo () { return cx.demo },
    get targets () { return cx.targets },
    store,
    tasks,
    aac: () => cx.aac,
    onprem: () => cx.onprem,
    databricks: () => cx.databricks,
    startCollect (flowName) {
      const { config, aac, onprem } = cx
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
    analyses: createAnalysisFiles(store),
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
    reconfigure (next) {
      const windowChanged = next.config.MATCH_WINDOW_MINUTES !== cx.config.MATCH_WINDOW_MINUTES
      retired.push(cx)
      cx = connect(next.config, next.demo, next.targets)
      suggestions = null
      // Saved pairs were made with the old window: pair every flow again (no upstream call needed).
      if (windowChanged) {
        tasks.start('collect', 'repair:all', async () => {
          for (const name of await store.listFlows()) {
            await store.updateFlow(name, (d) => ({ ...d, pairs: pairFlowRuns(d.runs, next.config.MATCH_WINDOW_MINUTES) })).catch((err: Error) => { log.warn({ flow: name, err: err.message }, 'could not pair the saved runs again') })
          }
        })
      }
      log.info({ demo: next.demo, onprem: next.targets.onprem !== null, databricks: next.targets.databricks !== null }, 'configuration applied')
    },
    async close () {
      await tasks.close()
      await Promise.allSettled([cx, ...retired].flatMap((c) => [c.aac.close(), c.onprem?.close(), c.databricks?.close()]))
    }
  }
}
