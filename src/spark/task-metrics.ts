import type { TaskEndEvent, TaskEndReason, TaskMetricsJson } from './event-types.js'

// Fixed slot layout for one task's metrics, so the hot path fills a reused Float64Array instead of allocating objects.

/** Task metric slots: [REST field name, log key, parent object key or '' for top level of "Task Metrics"]. */
export const TASK_METRICS = [
  ['executorDeserializeTime', 'Executor Deserialize Time', ''],
  ['executorDeserializeCpuTime', 'Executor Deserialize CPU Time', ''],
  ['executorRunTime', 'Executor Run Time', ''],
  ['executorCpuTime', 'Executor CPU Time', ''],
  ['resultSize', 'Result Size', ''],
  ['jvmGcTime', 'JVM GC Time', ''],
  ['resultSerializationTime', 'Result Serialization Time', ''],
  ['memoryBytesSpilled', 'Memory Bytes Spilled', ''],
  ['diskBytesSpilled', 'Disk Bytes Spilled', ''],
  ['peakExecutionMemory', 'Peak Execution Memory', ''],
  ['inputBytes', 'Bytes Read', 'Input Metrics'],
  ['inputRecords', 'Records Read', 'Input Metrics'],
  ['outputBytes', 'Bytes Written', 'Output Metrics'],
  ['outputRecords', 'Records Written', 'Output Metrics'],
  ['shuffleRemoteBlocksFetched', 'Remote Blocks Fetched', 'Shuffle Read Metrics'],
  ['shuffleLocalBlocksFetched', 'Local Blocks Fetched', 'Shuffle Read Metrics'],
  ['shuffleFetchWaitTime', 'Fetch Wait Time', 'Shuffle Read Metrics'],
  ['shuffleRemoteBytesRead', 'Remote Bytes Read', 'Shuffle Read Metrics'],
  ['shuffleRemoteBytesReadToDisk', 'Remote Bytes Read To Disk', 'Shuffle Read Metrics'],
  ['shuffleLocalBytesRead', 'Local Bytes Read', 'Shuffle Read Metrics'],
  ['shuffleReadRecords', 'Total Records Read', 'Shuffle Read Metrics'],
  ['shuffleRemoteReqsDuration', 'Remote Requests Duration', 'Shuffle Read Metrics'],
  ['shuffleWriteBytes', 'Shuffle Bytes Written', 'Shuffle Write Metrics'],
  ['shuffleWriteTime', 'Shuffle Write Time', 'Shuffle Write Metrics'],
  ['shuffleWriteRecords', 'Shuffle Records Written', 'Shuffle Write Metrics'],
  ['shuffleCorruptMergedBlockChunks', 'Corrupt Merged Block Chunks', 'Shuffle Push Read Metrics'],
  ['shuffleMergedFetchFallbackCount', 'Merged Fallback Count', 'Shuffle Push Read Metrics'],
  ['shuffleMergedRemoteBlocksFetched', 'Merged Remote Blocks Fetched', 'Shuffle Push Read Metrics'],
  ['shuffleMergedLocalBlocksFetched', 'Merged Local Blocks Fetched', 'Shuffle Push Read Metrics'],
  ['shuffleMergedRemoteChunksFetched', 'Merged Remote Chunks Fetched', 'Shuffle Push Read Metrics'],
  ['shuffleMergedLocalChunksFetched', 'Merged Local Chunks Fetched', 'Shuffle Push Read Metrics'],
  ['shuffleMergedRemoteBytesRead', 'Merged Remote Bytes Read', 'Shuffle Push Read Metrics'],
  ['shuffleMergedLocalBytesRead', 'Merged Local Bytes Read', 'Shuffle Push Read Metrics'],
  ['shuffleMergedRemoteReqsDuration', 'Merged Remote Requests Duration', 'Shuffle Push Read Metrics'],
] as const

export type TaskMetricName = (typeof TASK_METRICS)[number][0]
export const N_METRICS = TASK_METRICS.length

/** Slot index of each metric by REST name. */
export const M = Object.fromEntries(TASK_METRICS.map((m, i) => [m[0], i])) as Record<TaskMetricName, number>

/** Names of Spark's ExecutorMetricType values (peakMemoryMetrics keys), in Spark's order. */
export const EXECUTOR_METRICS = [
  'JVMHeapMemory', 'JVMOffHeapMemory', 'OnHeapExecutionMemory', 'OffHeapExecutionMemory', 'OnHeapStorageMemory',
  'OffHeapStorageMemory', 'OnHeapUnifiedMemory', 'OffHeapUnifiedMemory', 'DirectPoolMemory', 'MappedPoolMemory',
  'ProcessTreeJVMVMemory', 'ProcessTreeJVMRSSMemory', 'ProcessTreePythonVMemory', 'ProcessTreePythonRSSMemory',
  'ProcessTreeOtherVMemory', 'ProcessTreeOtherRSSMemory', 'MinorGCCount', 'MinorGCTime', 'MajorGCCount', 'MajorGCTime',
  'TotalGCTime', 'ConcurrentGCCount', 'ConcurrentGCTime',
] as const
export const N_EXEC_METRICS = EXECUTOR_METRICS.length
export const EXEC_METRIC_INDEX = new Map<string, number>(EXECUTOR_METRICS.map((n, i) => [n, i]))

/** One ended task, normalised; the parser reuses a single instance, so consumers must copy what they keep. */
export interface TaskEndRecord {
  stageId: number
  stageAttemptId: number
  taskId: number
  index: number
  attempt: number
  partitionId: number
  launchTime: number
  finishTime: number
  gettingResultTime: number
  executorId: string
  speculative: boolean
  failed: boolean
  killed: boolean
  /** Task End Reason.Reason */
  reason: string
  /** TaskKilled Kill Reason / TaskCommitDenied text / failure description */
  reasonDetail: string
  /** ExecutorLostFailure's "Exit Caused By App" (true when absent, as Spark assumes) */
  exitCausedByApp: boolean
  metrics: Float64Array
  hasExecutorMetrics: boolean
  executorMetrics: Float64Array
}

/** A fresh, zeroed task record. */
export function newTaskEndRecord (): TaskEndRecord {
  // The numbers come from the scanners' Float64Arrays: NaN first makes them double fields, so that the first large
  // value (a time, a big id) does not change the record's hidden class mid-run and deoptimise the code reading it.
  const r: TaskEndRecord = {
    stageId: NaN,
    stageAttemptId: NaN,
    taskId: NaN,
    index: NaN,
    attempt: NaN,
    partitionId: NaN,
    launchTime: NaN,
    finishTime: NaN,
    gettingResultTime: NaN,
    executorId: '',
    speculative: false,
    failed: false,
    killed: false,
    reason: 'Success',
    reasonDetail: '',
    exitCausedByApp: true,
    metrics: new Float64Array(N_METRICS),
    hasExecutorMetrics: false,
    executorMetrics: new Float64Array(N_EXEC_METRICS),
  }
  r.stageId = r.stageAttemptId = r.taskId = r.index = r.attempt = r.launchTime = r.finishTime = r.gettingResultTime = 0
  r.partitionId = -1
  return r
}

/** Fill `rec` from a fully parsed TaskEnd JSON object (slow path, used for unusual lines). */
export function taskEndFromJson (j: TaskEndEvent, rec: TaskEndRecord): TaskEndRecord {
  const ti = j['Task Info'] ?? {}
  rec.stageId = num(j['Stage ID'])
  rec.stageAttemptId = num(j['Stage Attempt ID'])
  rec.taskId = num(ti['Task ID'])
  rec.index = num(ti['Index'])
  rec.attempt = num(ti['Attempt'])
  rec.partitionId = ti['Partition ID'] === undefined ? -1 : num(ti['Partition ID'])
  rec.launchTime = num(ti['Launch Time'])
  rec.finishTime = num(ti['Finish Time'])
  rec.gettingResultTime = num(ti['Getting Result Time'])
  rec.executorId = String(ti['Executor ID'] ?? '')
  rec.speculative = ti['Speculative'] === true
  rec.failed = ti['Failed'] === true
  const r: TaskEndReason = j['Task End Reason'] ?? { Reason: 'Success' }
  rec.reason = String(r.Reason ?? 'Success')
  rec.killed = ti['Killed'] === true || rec.reason === 'TaskKilled'
  rec.reasonDetail = reasonText(r)
  rec.exitCausedByApp = r['Exit Caused By App'] !== false
  const tm = j['Task Metrics']
  const m = rec.metrics
  m.fill(0)
  if (tm && typeof tm === 'object') {
    for (let i = 0; i < N_METRICS; i++) {
      const [, key, parent] = TASK_METRICS[i]!
      let src: TaskMetricsJson | undefined = tm
      if (parent === 'Shuffle Push Read Metrics') {
        const srm = group(tm['Shuffle Read Metrics'])
        src = group(srm?.['Shuffle Push Read Metrics']) ?? group(srm?.['Push Based Shuffle'])
        if (src && key === 'Merged Fallback Count' && src[key] === undefined) {
          rec.metrics[i] = num(src['Merged Fetch Fallback Count'])
          continue
        }
      } else if (parent !== '') src = group(tm[parent])
      if (src) m[i] = num(src[key])
    }
  }
  const em = j['Task Executor Metrics']
  rec.executorMetrics.fill(0)
  rec.hasExecutorMetrics = false
  if (em && typeof em === 'object') {
    rec.hasExecutorMetrics = true
    for (const [k, v] of Object.entries(em)) {
      const idx = EXEC_METRIC_INDEX.get(k)
      if (idx !== undefined) rec.executorMetrics[idx] = num(v)
    }
  }
  return rec
}

/** The human text Spark shows for a task end reason (errorMessage / kill reason). */
export function reasonText (r: TaskEndReason | undefined): string {
  if (!r || typeof r !== 'object') return ''
  switch (r.Reason) {
    case 'Success':
    case 'Resubmitted':
      return ''
    case 'TaskKilled':
      return String(r['Kill Reason'] ?? 'unknown reason')
    case 'TaskCommitDenied':
      return `TaskCommitDenied (Driver denied task commit) for job: ${r['Job ID']}, partition: ${r['Partition ID']}, attemptNumber: ${r['Attempt Number']}`
    case 'ExceptionFailure':
      return String(r['Class Name'] ?? '') + ': ' + String(r['Description'] ?? '')
    case 'FetchFailed':
      return String(r['Message'] ?? 'FetchFailed')
    case 'ExecutorLostFailure':
      return String(r['Loss Reason'] ?? 'ExecutorLostFailure')
    default:
      return String(r.Reason ?? '')
  }
}

/** A nested metrics group, when the value is one. */
function group (v: number | TaskMetricsJson | undefined): TaskMetricsJson | undefined {
  return v !== null && typeof v === 'object' ? v : undefined
}

function num (v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v !== '') {
    const n = Number(v)
    return Number.isFinite(n) ? n : 0
  }
  return 0
}
