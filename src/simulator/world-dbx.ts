import { createRng } from './rng.js'
import type { ClusterProfile, LogPlacement, SimCluster, SimDbxRun, WorldNotables } from './world-types.js'

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
  submitted: number
  setupMs: number
  execMs: number
  cleanupMs: number
  outcome: 'Complete' | 'Failed' | 'Canceled'
  errorMessage: string | null
  tag: keyof WorldNotables | null
  sampleIndex: number
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
  const startTime = input.submitted + 2_000
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
  const restarted = input.tag === 'restartedCluster' || (spot && rng.chance(0.1))
  const nodesLost = input.tag === 'restartedCluster' || (spot && rng.chance(0.3))
  // one run of the demo delivers to a Unity Catalog volume, as workspaces without legacy DBFS do
  const profile = input.tag === 'volumeLogs' ? { ...input.profile, logDest: VOLUME_LOG_DEST } : input.profile
  const dest = profile.logDest ?? profile.fallbackDest
  let logs: LogPlacement
  if (dest === null) logs = { kind: 'none' }
  else if (input.tag === 'logsNotDelivered') logs = { kind: 'not-yet', dest }
  else if (input.tag === 'emptyLogFolder') logs = { kind: 'empty', dest }
  else if (input.tag === 'restartedCluster') logs = { kind: 'delivered', dest, sample: 'db-13.3-photon-q88' }
  else if (input.tag === 'rolledParts' || input.tag === 'volumeLogs') logs = { kind: 'delivered', dest, sample: 'exec-fail' }
  else if (lifeCycle !== 'TERMINATED') logs = { kind: 'delivered', dest, sample: 'photon-small' }
  else {
    const samples = input.profile.logSamples
    logs = samples.length === 0 ? { kind: 'none' } : { kind: 'delivered', dest, sample: samples[input.sampleIndex % samples.length] ?? '' }
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
    startTime,
    terminatedTime: lifeCycle === 'TERMINATED' ? Math.min(now, end + rng.int(5_000, 20_000)) : 0,
    state: lifeCycle === 'TERMINATED' ? 'TERMINATED' : 'RUNNING',
    terminationCode,
    terminationType,
    sparkContextId,
    driverIp: ip(rng),
    previous: restarted ? { driverIp: ip(rng), sparkContextId: contextId(rng) } : null,
    nodesLost,
    workers: input.profile.numWorkers ?? input.profile.autoscale?.max_workers ?? 2,
    logs,
    seed: `${input.seed}:cluster:${clusterId}`,
  }
  return { run, cluster }
}
