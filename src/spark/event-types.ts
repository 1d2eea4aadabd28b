// The Spark listener events the analysis decodes with JSON.parse, in the shape Spark's JsonProtocol writes them
// (Spark 1.2 – 3.5 and Databricks runtimes). Every field is optional: logs come from many versions and may be
// damaged, so readers still coerce values (`num`, `str`) instead of trusting the declared type. The parser checks
// that a line is an object with a string "Event" and hands it on as `SparkEvent`.

/** Properties / Spark conf: string keys and, as Spark writes them, string values. */
export type StringMap = Record<string, string>

export interface EventBase {
  Event: string
}

export interface LogStartEvent extends EventBase { 'Spark Version'?: string }

export interface DbcMetadataEvent extends EventBase { 'Spark Version'?: string; Timestamp?: number }

export interface ApplicationStartEvent extends EventBase {
  'App ID'?: string
  'App Name'?: string
  'App Attempt ID'?: string
  User?: string
  Timestamp?: number
  'Driver Logs'?: StringMap
}

export interface ApplicationEndEvent extends EventBase { Timestamp?: number }

export interface EnvironmentUpdateEvent extends EventBase {
  'JVM Information'?: { 'Java Version'?: string; 'Java Home'?: string; 'Scala Version'?: string }
  'Spark Properties'?: StringMap
  'Hadoop Properties'?: StringMap
  'System Properties'?: StringMap
  'Metrics Properties'?: StringMap
  'Classpath Entries'?: StringMap
}

export interface ExecutorResourceRequest {
  'Resource Name'?: string
  Amount?: number
  'Discovery Script'?: string
  Vendor?: string
}
export interface TaskResourceRequest { 'Resource Name'?: string; Amount?: number }

export interface ResourceProfileAddedEvent extends EventBase {
  'Resource Profile Id'?: number
  'Executor Resource Requests'?: Record<string, ExecutorResourceRequest>
  'Task Resource Requests'?: Record<string, TaskResourceRequest>
}

export interface ExecutorInfo {
  Host?: string
  'Total Cores'?: number
  'Log Urls'?: StringMap
  Attributes?: StringMap
  Resources?: Record<string, { name?: string; addresses?: string[] }>
  'Resource Profile Id'?: number
}

export interface ExecutorAddedEvent extends EventBase {
  'Executor ID'?: string
  Timestamp?: number
  'Executor Info'?: ExecutorInfo
}

export interface ExecutorRemovedEvent extends EventBase {
  'Executor ID'?: string
  Timestamp?: number
  'Removed Reason'?: string
}

export interface BlockManagerAddedEvent extends EventBase {
  'Block Manager ID'?: { 'Executor ID'?: string; Host?: string; Port?: number }
  Timestamp?: number
  'Maximum Memory'?: number
  'Maximum Onheap Memory'?: number
  'Maximum Offheap Memory'?: number
}

export interface StageInfo {
  'Stage ID'?: number
  'Stage Attempt ID'?: number
  'Stage Name'?: string
  'Number of Tasks'?: number
  'RDD Info'?: { 'RDD ID'?: number }[]
  /** parent stage ids (the DAG, for the what-if replay; absent before Spark 1.3) */
  'Parent IDs'?: number[]
  Details?: string
  'Submission Time'?: number
  'Completion Time'?: number
  'Failure Reason'?: string
  'Resource Profile Id'?: number
  'Shuffle Push Enabled'?: boolean
  'Shuffle Push Mergers Count'?: number
}

export interface JobStartEvent extends EventBase {
  'Job ID'?: number
  'Submission Time'?: number
  'Stage Infos'?: StageInfo[]
  'Stage IDs'?: number[]
  /** only the keys the analysis reads are kept when the parser trims a long line */
  Properties?: StringMap
}

export interface JobEndEvent extends EventBase {
  'Job ID'?: number
  'Completion Time'?: number
  'Job Result'?: { Result?: string }
}

export interface StageSubmittedEvent extends EventBase { 'Stage Info'?: StageInfo; Properties?: StringMap }

export interface StageCompletedEvent extends EventBase { 'Stage Info'?: StageInfo }

export interface StageExecutorMetricsEvent extends EventBase {
  'Executor ID'?: string
  'Stage ID'?: number
  'Stage Attempt ID'?: number
  'Executor Metrics'?: Record<string, number>
}

export interface TaskInfo {
  'Task ID'?: number
  Index?: number
  Attempt?: number
  'Partition ID'?: number
  'Launch Time'?: number
  'Executor ID'?: string
  Host?: string
  Locality?: string
  Speculative?: boolean
  'Getting Result Time'?: number
  'Finish Time'?: number
  Failed?: boolean
  Killed?: boolean
}

export interface TaskStartEvent extends EventBase {
  'Stage ID'?: number
  'Stage Attempt ID'?: number
  'Task Info'?: TaskInfo
}

/** Task End Reason: Success, Resubmitted, TaskKilled, TaskCommitDenied, ExceptionFailure, FetchFailed, ExecutorLostFailure, … */
export interface TaskEndReason {
  Reason?: string
  'Kill Reason'?: string
  'Job ID'?: number
  'Partition ID'?: number
  'Attempt Number'?: number
  'Class Name'?: string
  Description?: string
  Message?: string
  'Loss Reason'?: string
  'Exit Caused By App'?: boolean
}

/** "Task Metrics": numbers at the top level and in nested groups ("Input Metrics", "Shuffle Read Metrics", …). */
export interface TaskMetricsJson { [key: string]: number | TaskMetricsJson | undefined }

export interface TaskEndEvent extends EventBase {
  'Stage ID'?: number
  'Stage Attempt ID'?: number
  'Task End Reason'?: TaskEndReason
  'Task Info'?: TaskInfo
  'Task Executor Metrics'?: Record<string, number>
  'Task Metrics'?: TaskMetricsJson
}

export interface SqlExecutionStartEvent extends EventBase {
  executionId?: number
  rootExecutionId?: number
  description?: string
  time?: number
}

export interface SqlExecutionEndEvent extends EventBase {
  executionId?: number
  time?: number
  errorMessage?: string
}

/** Executor / node excluded or un-excluded (and their "Blacklisted" names before Spark 3.1). */
export interface ExclusionEvent extends EventBase {
  executorId?: string
  hostId?: string
  stageId?: number
}

/**
 * Any decoded event: the parser guarantees an object with a string "Event"; which shape applies follows from that
 * name (the aggregator narrows by it).
 */
export type SparkEvent = EventBase & Partial<
LogStartEvent & DbcMetadataEvent & ApplicationStartEvent & ApplicationEndEvent & EnvironmentUpdateEvent &
ResourceProfileAddedEvent & ExecutorAddedEvent & ExecutorRemovedEvent & BlockManagerAddedEvent & JobStartEvent &
JobEndEvent & StageSubmittedEvent & StageCompletedEvent & StageExecutorMetricsEvent & TaskStartEvent & TaskEndEvent &
SqlExecutionStartEvent & SqlExecutionEndEvent & ExclusionEvent
>

/** The parsed line as an event when it is an object with a string "Event" (the one check made at the edge). */
export function asSparkEvent (j: unknown): SparkEvent | undefined {
  if (j === null || typeof j !== 'object' || Array.isArray(j)) return undefined
  return typeof (j as { Event?: unknown }).Event === 'string' ? (j as SparkEvent) : undefined
}
