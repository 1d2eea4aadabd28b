import type { HistorySampleId } from './history-samples.js'

/** Shapes of the seeded world. Field names follow the upstream APIs so routes can serialise them directly. */

export type Upstream = 'aac' | 'onprem' | 'databricks' | 'sparkHistory' | 's3'
export type SidePlatform = 'aac' | 'onprem'

export interface SimPerson {
  id: number
  email: string
  name: string
}

export interface SimFlow {
  id: number
  name: string
  description: string | null
  createdAt: string
  updatedAt: string
  creator: { id: number }
  updater: { id: number }
  workspace: { id: number }
  folder: { id: number } | null
}

export interface SimJob {
  id: number
  jobType: string
  status: string
  executionLanguage?: string | null
  cpJobId?: string | null
  sampleSize?: number
  percentComplete: number
  errorMessage: string | null
  createdAt: string
  updatedAt: string
  /** AAC only */
  startedAt?: string
  finishedAt?: string
  hasWarnings?: boolean
  jobGroup: { id: number }
  creator: { id: number }
}

export interface SimJobGroup {
  id: number
  name: null
  description: null
  status: string
  ranfrom: string
  ranfor: string
  profilingEnabled: boolean
  runParameterReferenceDate: string
  createdAt: string
  updatedAt: string
  /** epoch ms of createdAt, for sorting */
  createdMs: number
  updatedMs: number
  workspace: { id: number }
  snapshot: { id: number }
  flowRun: { id: number } | null
  creator: SimPerson
  wrangledDataset: { id: number; name: string; flow: { id: number; name: string } }
  jobs: SimJob[]
}

export interface PlatformWorld {
  platform: SidePlatform
  flows: SimFlow[]
  /** newest first */
  jobGroups: SimJobGroup[]
  byId: Map<number, SimJobGroup>
}

export interface ClusterProfile {
  key: string
  sparkVersion: string
  nodeType: string
  driverNodeType: string
  numWorkers?: number
  autoscale?: { min_workers: number; max_workers: number }
  availability: 'ON_DEMAND' | 'SPOT' | 'SPOT_WITH_FALLBACK'
  runtimeEngine: 'STANDARD' | 'PHOTON'
  /** cluster_log_conf destination (dbfs:/..., /Volumes/... or s3://...); null = no cluster_log_conf */
  logDest: string | null
  /** where logs really land when logDest is null (AAC's default root), or null when not delivered at all */
  fallbackDest: string | null
  /** clusters start from an instance pool's warm instances: about a minute instead of several */
  instancePool?: boolean
  /** event log samples this profile's runs cycle through (see sample-logs.ts) */
  logSamples: string[]
}

export interface ClusterRuntime {
  sparkVersion: string
  runtimeEngine: 'STANDARD' | 'PHOTON'
  nodeType: string
  driverNodeType: string
}

/** How a run's event log shows up on DBFS */
export type LogPlacement =
  /** a real log (sample-logs.ts) with every timestamp moved by shiftMs, so the application ran inside the run */
  | { kind: 'delivered'; dest: string; sample: string; shiftMs: number }
  /** cluster folder exists (driver logs) but no eventlog yet: run ended minutes ago */
  | { kind: 'not-yet'; dest: string }
  /** context folder exists and is empty */
  | { kind: 'empty'; dest: string }
  /** no log delivery at all (no cluster_log_conf, nothing under the default root) */
  | { kind: 'none' }

export interface SimCluster {
  clusterId: string
  clusterName: string
  jobId: number
  runId: number
  profile: ClusterProfile
  /** what the cluster ran: the profile's, or the runtime, engine and node types its event log needs */
  runtime: ClusterRuntime
  startTime: number
  /** 0 while running */
  terminatedTime: number
  state: 'RUNNING' | 'TERMINATED'
  terminationCode: string | null
  terminationType: string | null
  /** decimal string: exceeds 2^53 */
  sparkContextId: string
  driverIp: string
  /** restarted driver: the earlier driver's IP and context (a second eventlog folder), when it was restarted */
  previous: { driverIp: string; sparkContextId: string; restartAt: number } | null
  nodesLost: boolean
  workers: number
  logs: LogPlacement
  seed: string
}

export interface SimDbxRun {
  runId: number
  jobId: number
  runName: string
  clusterId: string
  sparkContextId: string
  startTime: number
  queueMs: number
  setupMs: number
  execMs: number
  cleanupMs: number
  /** 0 while running */
  endTime: number
  lifeCycle: 'PENDING' | 'RUNNING' | 'TERMINATED'
  result: 'SUCCESS' | 'FAILED' | 'CANCELED' | null
  stateMessage: string
  /** >1: multi-task run without a top-level cluster_instance (exercises 2.2 paging over 100) */
  taskCount: number
  flowName: string
  jobGroupId: number
}

export interface WorldNotables {
  /** flows whose names fuzzy-match each other: collect must post-filter */
  fuzzyTwins: [string, string]
  /** a flow AAC spells differently (case, trailing space): collect matches it ignoring both, and says so */
  caseVariantFlow: { name: string, aacName: string }
  /** flow with more than 200 runs per side */
  pagingFlow: string
  multiOutputFlow: string
  onpremOnlyFlow: string
  photonEngineFlow: string
  /** AAC job group whose Databricks run ended minutes ago: log not delivered yet */
  logsNotDelivered: { jobGroupId: number; runId: number }
  /** AAC job group still running (Databricks RUNNING) */
  inProgress: { jobGroupId: number; runId: number }
  /** restarted driver: two <cluster>_<ip> folders; spot nodes lost; big Photon log */
  restartedCluster: { jobGroupId: number; runId: number; clusterId: string }
  /** context folder exists but holds no file */
  emptyLogFolder: { jobGroupId: number; runId: number }
  /** rolled into several .gz parts, failed tasks and lost executors */
  rolledParts: { jobGroupId: number; runId: number }
  /** run with more than 100 tasks (2.2 paging of tasks) */
  manyTasks: { jobGroupId: number; runId: number; taskCount: number }
  /** older than Databricks retention: runs/get and clusters/get answer RESOURCE_DOES_NOT_EXIST */
  expired: { jobGroupId: number; runId: number }
  /** no cluster_log_conf: logs under the default root dbfs:/trifacta/logs */
  noLogConfFallback: { jobGroupId: number; runId: number }
  /** no cluster_log_conf and nothing delivered anywhere */
  noLogDelivery: { jobGroupId: number; runId: number }
  /** cluster_log_conf.volumes: the event log is on a Unity Catalog volume (Files API) */
  volumeLogs: { jobGroupId: number; runId: number }
  /** cluster_log_conf.s3: a run of Marketing Mix, whose clusters deliver to the simulated S3 */
  s3Logs: { jobGroupId: number; runId: number }
}

export interface World {
  seed: string
  now: number
  retentionMs: number
  workspaceId: string
  /** flow names as seeded (the same names exist on both platforms unless one-sided) */
  flowNames: string[]
  aac: PlatformWorld
  onprem: PlatformWorld
  dbxRuns: Map<number, SimDbxRun>
  clusters: Map<string, SimCluster>
  notable: WorldNotables
  /** the on-prem cluster's Spark History Server */
  history: HistoryWorld
}

/** One attempt of a simulated History Server application. */
export interface SimSparkAttempt {
  attemptId: string | null
  startTime: number
  /** 0 while running */
  endTime: number
  sparkUser: string
  completed: boolean
  sparkVersion: string
  /** the real log served for it, and by how much its times were moved */
  sample: HistorySampleId | null
  shiftMs: number
}

export interface SimSparkApp {
  id: string
  name: string
  attempts: SimSparkAttempt[]
  /** the on-prem job group it ran for, if any */
  jobGroupId: number | null
}

export interface HistoryWorld {
  apps: SimSparkApp[]
  /** on-prem job group id -> its application id */
  byJobGroup: Map<number, string>
}
