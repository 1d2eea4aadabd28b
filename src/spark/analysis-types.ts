// The analysis.json contract consumed by the dashboard. Field names and units follow Spark's monitoring REST API
// (ApplicationInfo, JobData, StageData, TaskMetricDistributions, ExecutorSummary); times are epoch milliseconds
// (numbers, not Spark's date strings), durations ms, CPU and shuffle write times ns, sizes bytes.

export const ANALYSIS_SCHEMA_VERSION = 1 as const

export interface Analysis {
  schemaVersion: typeof ANALYSIS_SCHEMA_VERSION
  /** the analyser that made it (ANALYSER_VERSION, analyser-version.ts); absent in analyses made before it was recorded */
  analyserVersion?: number
  generatedAt: string
  source: { path: string; layout: string; parts: { name: string; codec: string; compressedBytes: number }[] }
  application: ApplicationSummary
  environment: EnvironmentInfo
  kpis: Kpis
  jobs: JobData[]
  stages: StageData[]
  taskSummaries: StageTaskSummary[]
  executors: ExecutorSummary[]
  timeline: Timeline
  sql: SqlExecution[]
  flags: Flag[]
  recommendations: Recommendation[]
  /** task failure classes and executor removals, the likely root cause first (absent in analyses made before it) */
  rootCauses?: RootCauseLine[]
  /** wall clock at other core counts, critical path, driver-only time (null without executors or a time span) */
  whatIf?: WhatIf | null
  /** what the run held: node-hours and busy vs held core-hours */
  usage?: Usage
  parse: ParseHealth
}

export interface RootCauseLine {
  /** out_of_memory, gpu_out_of_memory, fetch_failed, executor_lost, task_killed, exception, … or an executor removal cause */
  kind: string
  line: string
  count: number
  stageIds: number[]
  executorIds: string[]
}

export interface WhatIf {
  actualMs: number
  /** time with no job running: unchanged by more executors */
  driverOnlyMs: number
  /** lower bound with unlimited executors: driver-only time + the slowest task chain through each job group's DAG */
  criticalPathMs: number
  coresToday: number
  coresPerExecutor: number
  /** the replay at today's cores (compare with actualMs: the model's error) */
  modelMs: number
  modelErrorPercent: number
  points: { factor: number; executors: number; cores: number; wallClockMs: number }[]
}

export interface Usage {
  /** Σ per worker host of the span it held executors */
  workerNodeHours: number
  workerNodes: number
  driverHours: number
  /** Σ task time × task cpus */
  busyCoreHours: number
  /** Σ executor cores × executor lifetime */
  heldCoreHours: number
}

export interface ApplicationSummary {
  id: string | null
  name: string | null
  attemptId?: string
  /** LogStart "Spark Version" (or Databricks metadata); "" when the log has none (Spark 1.2) */
  sparkVersion: string
  databricksRuntime?: string
  sparkUser: string | null
  master?: string
  startTime: number | null
  /** ApplicationEnd Timestamp, or the latest timestamp seen when the log has no ApplicationEnd */
  endTime: number | null
  endTimeSource: 'applicationEnd' | 'lastEvent' | 'none'
  duration: number
  /** true iff an ApplicationEnd was read */
  completed: boolean
  driverLogs?: Record<string, string>
}

export interface ResourceProfileInfo {
  id: number
  executorResources: Record<string, { resourceName: string; amount: number; discoveryScript: string; vendor: string }>
  taskResources: Record<string, { resourceName: string; amount: number }>
}

export interface EnvironmentInfo {
  runtime: { javaVersion?: string; javaHome?: string; scalaVersion?: string }
  /** [key, value] sorted by key; secret-looking values replaced by "*********(redacted)" */
  sparkProperties: [string, string][]
  hadoopProperties?: [string, string][]
  systemProperties?: [string, string][]
  metricsProperties?: [string, string][]
  classpathEntries?: [string, string][]
  resourceProfiles: ResourceProfileInfo[]
}

export interface Kpis {
  wallClockMs: number
  executorsMin: number
  executorsMax: number
  totalCoresMax: number
  /** busy core-time / available core-time, 0..1; null when executor cores are unknown */
  coreUtilisation: number | null
  totalTaskTimeMs: number
  gcPercent: number
  schedulerDelayPercent: number
  inputBytes: number
  outputBytes: number
  shuffleReadBytes: number
  shuffleWriteBytes: number
  memoryBytesSpilled: number
  diskBytesSpilled: number
  tasks: number
  failedTasks: number
  killedTasks: number
  stages: number
  failedStages: number
  jobs: number
  failedJobs: number
}

export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'UNKNOWN'

export interface JobData {
  jobId: number
  name: string
  description?: string
  submissionTime?: number
  completionTime?: number
  stageIds: number[]
  jobGroup?: string
  jobTags: string[]
  status: JobStatus
  numTasks: number
  numActiveTasks: number
  numCompletedTasks: number
  numSkippedTasks: number
  numFailedTasks: number
  numKilledTasks: number
  numCompletedIndices: number
  numActiveStages: number
  numCompletedStages: number
  numSkippedStages: number
  numFailedStages: number
  killedTasksSummary: Record<string, number>
  sqlExecutionId?: number
}

export type StageStatus = 'ACTIVE' | 'COMPLETE' | 'FAILED' | 'PENDING' | 'SKIPPED'

export interface StageData {
  status: StageStatus
  stageId: number
  attemptId: number
  numTasks: number
  numActiveTasks: number
  numCompleteTasks: number
  numFailedTasks: number
  numKilledTasks: number
  numCompletedIndices: number
  submissionTime?: number
  firstTaskLaunchedTime?: number
  completionTime?: number
  failureReason?: string
  executorDeserializeTime: number
  executorDeserializeCpuTime: number
  executorRunTime: number
  executorCpuTime: number
  resultSize: number
  jvmGcTime: number
  resultSerializationTime: number
  memoryBytesSpilled: number
  diskBytesSpilled: number
  peakExecutionMemory: number
  inputBytes: number
  inputRecords: number
  outputBytes: number
  outputRecords: number
  shuffleRemoteBlocksFetched: number
  shuffleLocalBlocksFetched: number
  shuffleFetchWaitTime: number
  shuffleRemoteBytesRead: number
  shuffleRemoteBytesReadToDisk: number
  shuffleLocalBytesRead: number
  shuffleReadBytes: number
  shuffleReadRecords: number
  shuffleRemoteReqsDuration: number
  shuffleWriteBytes: number
  shuffleWriteTime: number
  shuffleWriteRecords: number
  shuffleCorruptMergedBlockChunks: number
  shuffleMergedFetchFallbackCount: number
  shuffleMergedRemoteBlocksFetched: number
  shuffleMergedLocalBlocksFetched: number
  shuffleMergedRemoteChunksFetched: number
  shuffleMergedLocalChunksFetched: number
  shuffleMergedRemoteBytesRead: number
  shuffleMergedLocalBytesRead: number
  shuffleMergedRemoteReqsDuration: number
  name: string
  description?: string
  details: string
  schedulingPool: string
  rddIds: number[]
  killedTasksSummary: Record<string, number>
  resourceProfileId: number
  isShufflePushEnabled: boolean
  shuffleMergersCount: number
  peakExecutorMetrics?: Record<string, number>
  /** not in Spark's StageData: Σ task schedulerDelay (ms) over ended tasks */
  schedulerDelay: number
  /** not in Spark's StageData: Σ task gettingResultTime (ms) */
  gettingResultTime: number
  /** not in Spark's StageData: Σ task duration (Finish − Launch, ms) over ended tasks */
  taskTime: number
  /** job ids this stage attempt belongs to */
  jobIds: number[]
}

export interface TaskMetricDistributions {
  quantiles: number[]
  duration: number[]
  executorDeserializeTime: number[]
  executorDeserializeCpuTime: number[]
  executorRunTime: number[]
  executorCpuTime: number[]
  resultSize: number[]
  jvmGcTime: number[]
  resultSerializationTime: number[]
  gettingResultTime: number[]
  schedulerDelay: number[]
  peakExecutionMemory: number[]
  memoryBytesSpilled: number[]
  diskBytesSpilled: number[]
  inputMetrics: { bytesRead: number[]; recordsRead: number[] }
  outputMetrics: { bytesWritten: number[]; recordsWritten: number[] }
  shuffleReadMetrics: {
    readBytes: number[]
    readRecords: number[]
    remoteBlocksFetched: number[]
    localBlocksFetched: number[]
    fetchWaitTime: number[]
    remoteBytesRead: number[]
    remoteBytesReadToDisk: number[]
    totalBlocksFetched: number[]
    remoteReqsDuration: number[]
    shufflePushReadMetricsDist: {
      corruptMergedBlockChunks: number[]
      mergedFetchFallbackCount: number[]
      remoteMergedBlocksFetched: number[]
      localMergedBlocksFetched: number[]
      remoteMergedChunksFetched: number[]
      localMergedChunksFetched: number[]
      remoteMergedBytesRead: number[]
      localMergedBytesRead: number[]
      remoteMergedReqsDuration: number[]
    }
  }
  shuffleWriteMetrics: { writeBytes: number[]; writeRecords: number[]; writeTime: number[] }
}

export interface StageTaskSummary extends TaskMetricDistributions {
  stageId: number
  attemptId: number
  /** successful tasks in the stage attempt (Spark's population size for the metric quantiles) */
  count: number
  /** true when the stage had more tasks than we keep (100 000, Spark's retainedTasks) and values come from a sample */
  sampled: boolean
}

export interface ExecutorSummary {
  id: string
  hostPort: string
  isActive: boolean
  rddBlocks: number
  memoryUsed: number
  diskUsed: number
  totalCores: number
  maxTasks: number
  activeTasks: number
  failedTasks: number
  completedTasks: number
  totalTasks: number
  totalDuration: number
  totalGCTime: number
  totalInputBytes: number
  totalShuffleRead: number
  totalShuffleWrite: number
  isBlacklisted: boolean
  isExcluded: boolean
  maxMemory: number
  addTime: number
  removeTime?: number
  removeReason?: string
  executorLogs: Record<string, string>
  memoryMetrics?: {
    usedOnHeapStorageMemory: number
    usedOffHeapStorageMemory: number
    totalOnHeapStorageMemory: number
    totalOffHeapStorageMemory: number
  }
  blacklistedInStages: number[]
  excludedInStages: number[]
  peakMemoryMetrics?: Record<string, number>
  attributes: Record<string, string>
  resources: Record<string, { name: string; addresses: string[] }>
  resourceProfileId: number
  /** not in Spark: tasks lost when this executor went away (ExecutorLostFailure naming it) */
  tasksLost: number
}

export interface TimelinePoint {
  time: number
  executors: number
  cores: number
}

export interface ExecutorMarker {
  time: number
  kind: 'added' | 'removed'
  executorId: string
  cores: number
  reason?: string
}

export interface Timeline {
  /** step function: a point at each change of executors / cores */
  executors: TimelinePoint[]
  markers: ExecutorMarker[]
  /** average busy cores (running task slots) per bucket */
  busy: { start: number; bucketMs: number; busyCores: number[] }
  /** core-ms available (Σ cores × executor lifetime) and used (Σ task durations × task cpus) */
  availableCoreMs: number
  busyCoreMs: number
  /** spans of at least 1 s without any running job (driver-side time) */
  idleGaps: { start: number; end: number }[]
}

export interface SqlExecution {
  executionId: number
  rootExecutionId?: number
  description: string
  submissionTime?: number
  completionTime?: number
  duration?: number
  errorMessage?: string
  status: 'COMPLETED' | 'FAILED' | 'RUNNING'
  jobIds: number[]
}

export type Severity = 'info' | 'warning' | 'critical'

export type FlagId =
  | 'infrastructure_bottleneck'
  | 'over_partitioning'
  | 'preemption_risk'
  | 'high_gc'
  | 'skew'
  | 'disk_spill'
  | 'failed_tasks'
  | 'executor_loss'
  | 'idle_cores'
  | 'driver_bound'
  | 'idle_session'
  | 'huge_partitions'
  | 'capacity_bound'
  | 'stragglers'

export interface Flag {
  id: FlagId
  severity: Severity
  title: string
  /** estimated wall-clock cost (ms) and its share of the app's wall clock (0..1); severity follows from it */
  impactMs?: number
  impactShare?: number
  stageIds?: number[]
  executorIds?: string[]
  /** human-readable lines with the numbers */
  evidence: string[]
  /** machine-readable numbers behind the evidence */
  metrics: Record<string, number>
  recommendationIds: string[]
}

export interface RecommendedConfig {
  key: string
  current: string | null
  suggested: string
  why: string
}

export interface Recommendation {
  id: string
  flagIds: FlagId[]
  title: string
  advice: string
  configs: RecommendedConfig[]
}

export interface ParseHealth {
  bytes: number
  lines: number
  events: number
  eventsByType: Record<string, number>
  badLines: { count: number; first: { part: number; line: number; reason: string }[] }
  unknownEvents: { count: number; byType: Record<string, number> }
  /** the last line of the log was cut (no newline and not valid JSON) */
  truncated: boolean
  partsRead: number
  damage: { part: string; afterBytes: number; message: string }[]
  /** the log has no ApplicationEnd: in progress, crashed or cut */
  incomplete: boolean
  /** TaskEnd lines read by the byte scanner vs by JSON.parse */
  fastTaskLines: number
  slowTaskLines: number
}
