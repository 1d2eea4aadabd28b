import { createRng } from './rng.js'
import { SAMPLE_INFO } from './sample-logs.js'
import type { ClusterProfile, ClusterRuntime, LogPlacement, SimCluster, SimDbxRun, WorldNotables } from './world-types.js'

export const DBX_WORKSPACE_ID = '4045893158723001'
/** where the volume-delivering cluster's logs go (cluster_log_conf.volumes.destination) */
export const VOLUME_LOG_DEST = '/Volumes/main/trifacta/cluster_logs'

export interface DbxRunInput {
  seed: string
  now: number
  runId: number
  jobId: number
  jobGroupId: number
  flowName: string
  outputName: string
  profile: ClusterProfile
  /** the Databricks run's start (AAC submitted it) */
  startTime: number
  setupMs: number
  execMs: number
  cleanupMs: number
  outcome: 'Complete' | 'Failed' | 'Canceled'
  errorMessage: string | null
  tag: keyof WorldNotables | null
  /** the event log delivered for the run (logSampleFor) and when its application starts after the execution does */
  log: { sample: string; appStartMs: number } | null
}

/** the driver restarts this long into the execution of a restarted cluster; it is back RESTART_DOWN_MS later */
export const RESTART_AFTER_MS = 30_000
export const RESTART_DOWN_MS = 160_000

/**
 * The real event log a Databricks run of this profile gets, or null when none is delivered: a failed or cancelled
 * run's log has failed tasks and lost executors; otherwise the profile's samples in turn. The cluster then runs the
 * runtime that log needs (runtimeFor), so a run never opens a log of another Spark version.
 */
export function logSampleFor (profile: ClusterProfile, opts: { tag: keyof WorldNotables | null, outcome: string, k: number }): string | null {
  const dest = profile.logDest ?? profile.fallbackDest
  if (dest === null || profile.logSamples.length === 0) return null
  if (opts.tag === 'logsNotDelivered' || opts.tag === 'emptyLogFolder') return null
  if (opts.tag === 'restartedCluster') return 'db-13.3-photon-q88'
  if (opts.tag === 'rolledParts' || opts.tag === 'volumeLogs' || opts.outcome !== 'Complete') return 'exec-fail'
  return profile.logSamples[opts.k % profile.logSamples.length] ?? null
}

/** The runtime, engine and node types of a cluster whose event log is `sample` (the profile's without a log). */
export function runtimeFor (profile: ClusterProfile, sample: string | null): ClusterRuntime {
  const info = sample === null ? undefined : SAMPLE_INFO[sample]
  return {
    sparkVersion: info?.runtime ?? profile.sparkVersion,
    runtimeEngine: info?.engine ?? profile.runtimeEngine,
    nodeType: info?.nodeType ?? profile.nodeType,
    driverNodeType: info?.driverNodeType ?? profile.driverNodeType,
  }
}

/** How long a sample's application runs (its first to its last timestamp). */
export function sampleSpanMs (sample: string): number {
  const info = SAMPLE_INFO[sample]
  if (info === undefined) throw new Error(`no SAMPLE_INFO for ${sample}`)
  return info.lastMs - info.firstMs
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** Databricks cluster ids look like 0923-164208-meows279 (MMDD-HHMMSS-8 chars) */
function clusterIdFor (start: number, rng: ReturnType<typeof createRng>): string {
  const d = new Date(start)
  let tail = ''
  for (let i = 0; i < 8; i++) tail += ALNUM[rng.int(0, ALNUM.length - 1)]
  return `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}-${tail}`
}

/** spark_context_id values exceed 2^53: kept as decimal strings */
function contextId (rng: ReturnType<typeof createRng>): string {
  let s = String(rng.int(1, 8))
  for (let i = 0; i < 18; i++) s += String(rng.int(0, 9))
  return s
}

const ip = (rng: ReturnType<typeof createRng>): string => `10.${rng.int(16, 250)}.${rng.int(0, 255)}.${rng.int(2, 254)}`

export function buildDbxRun (input: DbxRunInput): { run: SimDbxRun; cluster: SimCluster } {
  const rng = createRng(`${input.seed}:dbx:${input.runId}`)
  const startTime = input.startTime
  const execStart = startTime + input.setupMs
  const execEnd = execStart + input.execMs
  const end = execEnd + input.cleanupMs
  const { now } = input
  const lifeCycle: SimDbxRun['lifeCycle'] = now < execStart ? 'PENDING' : now < end ? 'RUNNING' : 'TERMINATED'
  const result: SimDbxRun['result'] =
    lifeCycle !== 'TERMINATED' ? null : input.outcome === 'Complete' ? 'SUCCESS' : input.outcome === 'Failed' ? 'FAILED' : 'CANCELED'
  const clusterId = clusterIdFor(startTime, rng)
  const sparkContextId = contextId(rng)
  const run: SimDbxRun = {
    runId: input.runId,
    jobId: input.jobId,
    runName: `trifacta-${input.outputName.replace(/[^A-Za-z0-9_]+/g, '_')}-${input.jobGroupId}`,
    clusterId,
    sparkContextId,
    startTime,
    queueMs: 0,
    setupMs: input.setupMs,
    execMs: input.execMs,
    cleanupMs: input.cleanupMs,
    endTime: lifeCycle === 'TERMINATED' ? end : 0,
    lifeCycle,
    result,
    stateMessage:
      result === 'FAILED'
        ? (input.errorMessage ?? 'Task wrangle failed')
        : result === 'CANCELED'
          ? 'Run cancelled by Trifacta'
          : lifeCycle === 'RUNNING'
            ? 'In run'
            : lifeCycle === 'PENDING'
              ? 'Waiting for cluster'
              : '',
    taskCount: input.tag === 'manyTasks' ? 130 : 1,
    flowName: input.flowName,
    jobGroupId: input.jobGroupId,
  }
  const spot = input.profile.availability !== 'ON_DEMAND'
  const restarted = input.tag === 'restartedCluster'
  const nodesLost = input.tag === 'restartedCluster' || (spot && rng.chance(0.3))
  // one run of the demo delivers to a Unity Catalog volume, as workspaces without legacy DBFS do
  const profile = input.tag === 'volumeLogs' ? { ...input.profile, logDest: VOLUME_LOG_DEST } : input.profile
  const dest = profile.logDest ?? profile.fallbackDest
  let logs: LogPlacement
  if (dest === null) logs = { kind: 'none' }
  else if (input.tag === 'logsNotDelivered') logs = { kind: 'not-yet', dest }
  else if (input.tag === 'emptyLogFolder') logs = { kind: 'empty', dest }
  else if (input.log === null) logs = { kind: 'none' }
  else {
    const info = SAMPLE_INFO[input.log.sample]
    if (info === undefined) throw new Error(`no SAMPLE_INFO for ${input.log.sample}`)
    logs = { kind: 'delivered', dest, sample: input.log.sample, shiftMs: execStart + input.log.appStartMs - info.firstMs }
  }
  let terminationCode: string | null = null
  let terminationType: string | null = null
  if (lifeCycle === 'TERMINATED') {
    if (input.errorMessage?.includes('OutOfMemory')) {
      terminationCode = 'DRIVER_OUT_OF_MEMORY'
      terminationType = 'CLIENT_ERROR'
    } else {
      terminationCode = 'JOB_FINISHED'
      terminationType = 'SUCCESS'
    }
  }
  const cluster: SimCluster = {
    clusterId,
    clusterName: `job-${input.jobId}-run-${input.runId}`,
    jobId: input.jobId,
    runId: input.runId,
    profile,
    runtime: runtimeFor(input.profile, input.log?.sample ?? null),
    startTime,
    // the cluster is torn down during the run's clean-up: terminated when the run ends
    terminatedTime: lifeCycle === 'TERMINATED' ? end : 0,
    state: lifeCycle === 'TERMINATED' ? 'TERMINATED' : 'RUNNING',
    terminationCode,
    terminationType,
    sparkContextId,
    driverIp: ip(rng),
    previous: restarted ? { driverIp: ip(rng), sparkContextId: contextId(rng), restartAt: execStart + RESTART_AFTER_MS } : null,
    nodesLost,
    workers: input.profile.numWorkers ?? input.profile.autoscale?.max_workers ?? 2,
    logs,
    seed: `${input.seed}:cluster:${clusterId}`,
  }
  return { run, cluster }
}
