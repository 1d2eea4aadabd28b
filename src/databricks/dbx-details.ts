import type { DatabricksClient, DbxCluster, DbxEvent, DbxLogConf, DbxRun } from './databricks-client.js'
import { isResourceGone } from './databricks-client.js'
import { maskSparkConf, type MaskedConfEntry } from './mask.js'

/** The run as the panel shows it. */
export interface DbxRunView {
  runId: string
  jobId: string | null
  runName: string | null
  /** on DATABRICKS_HOST only */
  runPageUrl: string
  lifeCycle: string | null
  result: string | null
  stateMessage: string | null
  terminationCode: string | null
  startTime: number | null
  endTime: number | null
  setupMs: number | null
  executionMs: number | null
  cleanupMs: number | null
  /** true when the durations are summed over tasks (multi-task runs report 0 at the top) */
  durationsFromTasks: boolean
  runMs: number | null
  taskCount: number
  /** distinct clusters among the tasks */
  clusterCount: number
}

export type DbxClusterView = Omit<DbxCluster, 'sparkConf'> & { sparkConf: MaskedConfEntry[] }

/** What is cached in flows/<flow>/dbx/<jobRunId>.json: no secret in it (Spark conf masked before caching). */
export interface DbxDetails {
  schemaVersion: 1
  fetchedAt: string
  host: string
  run: DbxRunView
  clusterId: string | null
  sparkContextId: string | null
  cluster: DbxClusterView | null
  /** why the cluster is missing (gone upstream, or the call failed) */
  clusterNote: string | null
  events: DbxEvent[]
  eventsTruncated: boolean
  eventsNote: string | null
  /** where the logs are delivered, and where that was learnt */
  logConf: DbxLogConf | null
  logConfSource: 'cluster' | 'run spec' | 'cluster events' | null
}

const TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'])

/** True when nothing about the run will change any more (a cached copy can be shown without asking again). */
export function isSettled (d: DbxDetails): boolean {
  return d.run.lifeCycle !== null && TERMINAL.has(d.run.lifeCycle) && (d.cluster === null || d.cluster.state === 'TERMINATED' || d.cluster.state === 'ERROR')
}

// events before the run started (cluster creation) and after it ended (termination) belong to its story
const WINDOW_BEFORE_MS = 5 * 60_000
const WINDOW_AFTER_MS = 30 * 60_000

function runPageUrl (host: string, run: DbxRun): string {
  // the token only goes to DATABRICKS_HOST, and links only point there too
  if (run.runPageUrl !== null) {
    try {
      if (new URL(run.runPageUrl).origin === host) return run.runPageUrl
    } catch {}
  }
  return `${host}/#job/${encodeURIComponent(run.jobId ?? '')}/run/${encodeURIComponent(run.runId)}`
}

function runView (host: string, run: DbxRun): DbxRunView {
  let { setupMs, executionMs, cleanupMs } = run
  let fromTasks = false
  const zero = (setupMs ?? 0) + (executionMs ?? 0) + (cleanupMs ?? 0) === 0
  if (zero && run.tasks.length > 0) {
    const sum = (pick: (t: DbxRun['tasks'][number]) => number | null): number => run.tasks.reduce((s, t) => s + (pick(t) ?? 0), 0)
    setupMs = sum((t) => t.setupMs)
    executionMs = sum((t) => t.executionMs)
    cleanupMs = sum((t) => t.cleanupMs)
    fromTasks = true
  }
  const clusters = new Set(run.tasks.map((t) => t.clusterInstance?.clusterId).filter((c): c is string => c !== undefined))
  if (run.clusterInstance !== null) clusters.add(run.clusterInstance.clusterId)
  return {
    runId: run.runId,
    jobId: run.jobId,
    runName: run.runName,
    runPageUrl: runPageUrl(host, run),
    lifeCycle: run.state.lifeCycle,
    result: run.state.result,
    stateMessage: run.state.message,
    terminationCode: run.terminationCode,
    startTime: run.startTime,
    endTime: run.endTime,
    setupMs,
    executionMs,
    cleanupMs,
    durationsFromTasks: fromTasks,
    runMs: run.runMs !== null && run.runMs > 0 ? run.runMs : (run.endTime !== null && run.startTime !== null ? run.endTime - run.startTime : null),
    taskCount: run.tasks.length,
    clusterCount: clusters.size
  }
}

/** The cluster the run ran on: the top-level cluster_instance, else the first task that has one (with a context id if any). */
export function pickClusterInstance (run: DbxRun): { clusterId: string, sparkContextId: string | null } | null {
  if (run.clusterInstance !== null) return run.clusterInstance
  const withContext = run.tasks.find((t) => t.clusterInstance?.sparkContextId != null)
  return (withContext ?? run.tasks.find((t) => t.clusterInstance !== null))?.clusterInstance ?? null
}

/** Fetches run, cluster and the cluster's events within the run's window, masked and ready to cache. */
export async function fetchDbxDetails (client: DatabricksClient, runId: string, opts: { signal?: AbortSignal, now?: number } = {}): Promise<DbxDetails> {
  const now = opts.now ?? Date.now()
  const run = await client.getRun(runId, { signal: opts.signal })
  const instance = pickClusterInstance(run)
  let cluster: DbxCluster | null = null
  let clusterNote: string | null = null
  let events: DbxEvent[] = []
  let eventsTruncated = false
  let eventsNote: string | null = null
  if (instance === null) {
    clusterNote = 'Databricks reports no cluster for this run yet (it has not started, or it ran on serverless compute).'
  } else {
    const [c, e] = await Promise.allSettled([
      client.getCluster(instance.clusterId, { signal: opts.signal }),
      (async () => {
        const start = (run.startTime ?? now) - WINDOW_BEFORE_MS
        const end = Math.min(now, (run.endTime ?? now) + WINDOW_AFTER_MS)
        return await client.clusterEvents(instance.clusterId, { startTime: start, endTime: end }, { signal: opts.signal })
      })()
    ])
    if (c.status === 'fulfilled') cluster = c.value
    else if (isResourceGone(c.reason)) clusterNote = `Databricks no longer describes cluster ${instance.clusterId} (terminated clusters are kept 30–60 days).`
    else throw c.reason
    if (e.status === 'fulfilled') {
      events = e.value.events
      eventsTruncated = e.value.truncated
    } else if (isResourceGone(e.reason)) {
      eventsNote = 'Databricks no longer has events for this cluster.'
    } else {
      eventsNote = `The cluster events could not be read: ${(e.reason as Error).message}`
    }
  }
  let logConf: DbxLogConf | null = null
  let logConfSource: DbxDetails['logConfSource'] = null
  if (cluster?.logConf != null) {
    logConf = cluster.logConf
    logConfSource = 'cluster'
  } else if (cluster === null) {
    // clusters/get forgot the cluster: the run's spec snapshot, then the CREATING event, still say where logs go
    const hint = run.clusterSpecs.find((h) => h.logConf !== null)
    const fromEvents = events.find((ev) => ev.details.logConf !== null)
    if (hint !== undefined) { logConf = hint.logConf; logConfSource = 'run spec' } else if (fromEvents !== undefined) { logConf = fromEvents.details.logConf; logConfSource = 'cluster events' }
  }
  const { sparkConf, ...rest } = cluster ?? { sparkConf: {} }
  return {
    schemaVersion: 1,
    fetchedAt: new Date(now).toISOString(),
    host: client.host,
    run: runView(client.host, run),
    clusterId: instance?.clusterId ?? null,
    sparkContextId: instance?.sparkContextId ?? null,
    cluster: cluster === null ? null : { ...(rest as Omit<DbxCluster, 'sparkConf'>), sparkConf: maskSparkConf(sparkConf) },
    clusterNote,
    events,
    eventsTruncated,
    eventsNote,
    logConf,
    logConfSource
  }
}

/** Checks a cached document's shape (the store validates the envelope, this the content). */
export function asDbxDetails (data: unknown): DbxDetails | null {
  const d = data as Partial<DbxDetails> | null
  if (d === null || typeof d !== 'object' || d.schemaVersion !== 1 || typeof d.run !== 'object' || d.run === null || !Array.isArray(d.events)) return null
  return d as DbxDetails
}
