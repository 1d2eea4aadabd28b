// Incremental aggregation of Spark listener events into the REST-shaped analysis, following AppStatusListener's
// rules (see shared/fixtures/spark-expectations/README.md). Pure code over events: no I/O, testable with literals.
import type {
  ExecutorSummary, JobData, ResourceProfileInfo, SqlExecution, StageData, StageStatus, StageTaskSummary,
} from './analysis-types.js'
import { BusyHistogram } from './busy-histogram.js'
import type {
  ApplicationStartEvent, BlockManagerAddedEvent, EnvironmentUpdateEvent, ExecutorAddedEvent, ExecutorRemovedEvent,
  JobEndEvent, JobStartEvent, ResourceProfileAddedEvent, SparkEvent, SqlExecutionEndEvent, StageCompletedEvent,
  StageExecutorMetricsEvent, StageInfo, StageSubmittedEvent,
} from './event-types.js'
import { redactedPairs } from './redact.js'
import { BlockPool, COL_DURATION, TaskSamples } from './task-samples.js'
import { EXECUTOR_METRICS, EXEC_METRIC_INDEX, M, N_EXEC_METRICS, N_METRICS, TASK_METRICS, type TaskEndRecord } from './task-metrics.js'

export const DEFAULT_QUANTILES = [0, 0.25, 0.5, 0.75, 1]
/**
 * Bytes of task rows of completed stages kept for tasks that end after their stage (beyond the newest one): about
 * 50,000 rows of a big stage. Counted in the bytes the rows' blocks hold, not in rows: a log of tens of thousands of
 * one-task stages (micro-batches, notebook cells) holds a small block per stage, and 50,000 of those came to a GB.
 */
const RETAINED_BYTES = 16 * 1024 * 1024

/**
 * One stage attempt. A class whose every field exists from construction (optional ones as undefined): the per-task
 * code then sees one hidden class for all stages, instead of a new one whenever a field is first set, each of which
 * threw away the optimised onTaskEnd/onTaskStart and recompiled them (measured: ~0.3 s of compile per GB).
 */
class StageState {
  name = ''
  details = ''
  numTasks = 0
  status: StageStatus = 'PENDING'
  submissionTime: number | undefined = undefined
  completionTime: number | undefined = undefined
  failureReason: string | undefined = undefined
  firstTaskLaunchedTime: number | undefined = undefined
  rddIds: number[] = []
  resourceProfileId = 0
  isShufflePushEnabled = false
  shuffleMergersCount = 0
  schedulingPool = 'default'
  description: string | undefined = undefined
  jobIds: number[] = []
  active = 0
  complete = 0
  failed = 0
  killed = 0
  completedIndices = new Bitset()
  killedSummary: Record<string, number> = {}
  totals = new Float64Array(N_METRICS)
  // sums of task times: double fields from the start (see zeroed in the constructor)
  schedulerDelay = NaN
  gettingResultTime = NaN
  taskTime = NaN
  peak: Float64Array | undefined = undefined
  samples: TaskSamples | undefined = undefined
  /** StageCompleted was seen */
  completionSeen = false
  /** completed and idle: its rows wait in the retired queue */
  retired = false
  summary: StageTaskSummary | undefined = undefined
  skew: StageSkew | undefined = undefined
  /** StageInfo "Parent IDs" (absent before Spark 1.3: undefined) */
  parentIds: number[] | undefined = undefined
  /** Σ duration of tasks that did not succeed (failed, killed, lost) */
  failedTaskTime = NaN
  constructor (readonly stageId: number, readonly attemptId: number) {
    // V8 gives a field the representation of its first value. A sum that starts as a small integer becomes a double
    // field when it first takes a larger or fractional value, which changes the hidden class of every stage in the
    // middle of the run and throws the optimised per-task code away. NaN first makes them double fields; 0 keeps that.
    this.schedulerDelay = this.gettingResultTime = this.taskTime = this.failedTaskTime = 0
  }
}

/** Per-stage task spread and shape, kept for the skew, straggler and partition-size flags and the what-if replay. */
export interface StageSkew {
  tasks: number
  durationMax: number
  durationMedian: number
  bytesMax: number
  bytesMedian: number
  /** input + shuffle bytes read by the slowest successful task */
  slowestBytes: number
  /** durations of the ended tasks in end order, evenly thinned to at most TaskSamples.MAX_REPLAY_TASKS */
  durations: Float32Array
  /** tasks the durations stand for (all ended tasks of the attempt) */
  durationTasks: number
}

/** A class of task failure seen in the log (reason + exception class), for root causes. */
export interface TaskFailureClass {
  reason: string
  /** first task's end-reason text (capped) */
  detail: string
  count: number
  /** Σ duration of those tasks */
  timeMs: number
  stageIds: number[]
  executorIds: string[]
}
const MAX_FAILURE_CLASSES = 200

/**
 * A job. Its task counters live here, in fields every job has, and go into `data` at the end: JobData objects differ
 * in their optional fields (description, group, SQL id…), and counting on them made the per-task code see several
 * hidden classes and be deoptimised and recompiled as each new one appeared.
 */
class JobState {
  readonly stageIdSet: Set<number>
  readonly completedStages = new Set<number>()
  readonly skippedStages = new Set<number>()
  activeTasks = 0
  completedTasks = 0
  completedIndices = 0
  failedTasks = 0
  killedTasks = 0
  constructor (readonly data: JobData, stageIds: number[]) {
    this.stageIdSet = new Set(stageIds)
  }

  /** The task counters into `data`. */
  settle (): JobData {
    const d = this.data
    d.numActiveTasks = this.activeTasks
    d.numCompletedTasks = this.completedTasks
    d.numCompletedIndices = this.completedIndices
    d.numFailedTasks = this.failedTasks
    d.numKilledTasks = this.killedTasks
    d.numCompletedStages = this.completedStages.size
    d.numSkippedStages = this.skippedStages.size
    return d
  }
}

interface ExecState {
  s: ExecutorSummary
  live: boolean
  peak: Float64Array | undefined
  excluded: Set<number>
  hasExecutorAdded: boolean
}

/** Growable bit set for task indices (bounded by a stage's task count). */
class Bitset {
  bits = new Uint8Array(16)
  size = 0
  /** Sets bit i; true if it was newly set. */
  set (i: number): boolean {
    if (i < 0 || !Number.isInteger(i)) return false
    const byte = i >>> 3
    if (byte >= this.bits.length) {
      const n = new Uint8Array(Math.max(byte + 1, this.bits.length * 2))
      n.set(this.bits)
      this.bits = n
    }
    const mask = 1 << (i & 7)
    if (this.bits[byte]! & mask) return false
    this.bits[byte]! |= mask
    this.size++
    return true
  }
}

const num = (v: unknown, d = 0): number => {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return d
}
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v))

/** Folds parsed events into analysis state; call `result()` at the end. */
export class Aggregator {
  readonly quantiles: number[]
  app = {
    id: null as string | null,
    name: null as string | null,
    attemptId: undefined as string | undefined,
    user: null as string | null,
    startTime: null as number | null,
    endTime: null as number | null,
    sparkVersion: '',
    dbrVersion: undefined as string | undefined,
    driverLogs: undefined as Record<string, string> | undefined,
  }

  lastTimestamp = 0
  env = {
    runtime: {} as { javaVersion?: string | undefined; javaHome?: string | undefined; scalaVersion?: string | undefined },
    spark: {} as Record<string, unknown>,
    hadoop: {} as Record<string, unknown>,
    system: {} as Record<string, unknown>,
    metrics: {} as Record<string, unknown>,
    classpath: {} as Record<string, unknown>,
  }

  resourceProfiles = new Map<number, ResourceProfileInfo>()
  executors = new Map<string, ExecState>()
  jobs = new Map<number, JobState>()
  stages = new Map<string, StageState>()
  /** the attempts of each stage id, so a job's stages are found without walking every stage */
  private readonly attemptsById = new Map<number, StageState[]>()
  /** the jobs listing each stage id (as started), and each job id's place in `jobs`: a stage's jobs without a walk */
  private readonly jobsOfStage = new Map<number, JobState[]>()
  private readonly jobOrder = new Map<number, number>()
  sql = new Map<number, SqlExecution>()
  busy = new BusyHistogram()
  markers: { time: number; kind: 'added' | 'removed'; executorId: string; cores: number; reason?: string }[] = []
  /** a double field from the start, like StageState's sums (see its constructor) */
  busyCoreMs = NaN
  tasksLostByExecutor = new Map<string, number>()
  completedIndicesByStage = new Map<number, Bitset>()
  taskCount = 0
  private keepSamples: boolean
  /** task row blocks of finished stages, reused by the next ones */
  private readonly blockPool = new BlockPool()
  /** completed stages whose task rows are still kept for late tasks, oldest first (from retiredHead on) */
  private retired: StageState[] = []
  private retiredHead = 0
  /** rows held by those stages */
  private retainedBytes = 0

  constructor (opts: { quantiles?: number[]; keepSamples?: boolean } = {}) {
    this.quantiles = opts.quantiles ?? DEFAULT_QUANTILES
    this.keepSamples = opts.keepSamples ?? false
    this.busyCoreMs = 0
  }

  /** latest timestamp of any event but executor / block manager events (their clocks can be off: see build-analysis) */
  lastCoreTimestamp = 0
  /** earliest and latest executor event timestamps */
  execTimeRange = { min: Infinity, max: 0 }

  private seen (t: unknown): void {
    const n = num(t)
    if (n > this.lastTimestamp) this.lastTimestamp = n
    if (n > this.lastCoreTimestamp) this.lastCoreTimestamp = n
  }

  private seenExec (t: number): void {
    if (t > this.lastTimestamp) this.lastTimestamp = t
    if (t > 0 && t < this.execTimeRange.min) this.execTimeRange.min = t
    if (t > this.execTimeRange.max) this.execTimeRange.max = t
  }

  private taskCpus (): number {
    const rp = this.resourceProfiles.get(0)
    const c = rp?.taskResources['cpus']?.amount
    return c && c > 0 ? c : Math.max(1, num(this.env.spark['spark.task.cpus'], 1))
  }

  /** Handles any event decoded with JSON.parse. */
  onJson (type: string, e: SparkEvent): void {
    switch (type) {
      case 'SparkListenerLogStart': this.app.sparkVersion = String(e['Spark Version'] ?? ''); break
      case 'DBCEventLoggingListenerMetadata':
        if (!this.app.sparkVersion) this.app.sparkVersion = String(e['Spark Version'] ?? '')
        this.seen(e['Timestamp'])
        break
      case 'SparkListenerApplicationStart': this.onAppStart(e); break
      case 'SparkListenerApplicationEnd': this.app.endTime = num(e['Timestamp']); this.seen(e['Timestamp']); break
      case 'SparkListenerEnvironmentUpdate': this.onEnv(e); break
      case 'SparkListenerResourceProfileAdded': this.onResourceProfile(e); break
      case 'SparkListenerExecutorAdded': this.onExecutorAdded(e); break
      case 'SparkListenerExecutorRemoved': this.onExecutorRemoved(e); break
      case 'SparkListenerBlockManagerAdded': this.onBlockManagerAdded(e); break
      case 'SparkListenerJobStart': this.onJobStart(e); break
      case 'SparkListenerJobEnd': this.onJobEnd(e); break
      case 'SparkListenerStageSubmitted': this.onStageSubmitted(e); break
      case 'SparkListenerStageCompleted': this.onStageCompleted(e); break
      case 'SparkListenerStageExecutorMetrics': this.onStageExecutorMetrics(e); break
      case 'SparkListenerTaskStart': {
        const ti = e['Task Info'] ?? {}
        this.onTaskStart(num(e['Stage ID']), num(e['Stage Attempt ID']), num(ti['Launch Time']), String(ti['Executor ID'] ?? ''))
        break
      }
      case 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart':
        this.onSqlStart(num(e.executionId), e.rootExecutionId === undefined ? undefined : num(e.rootExecutionId), String(e.description ?? ''), num(e.time))
        break
      case 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd': this.onSqlEnd(e); break
      default:
        if (/Executor(Blacklisted|Excluded)$/.test(type)) this.setExcluded(String(e.executorId), true)
        else if (/Executor(Unblacklisted|Unexcluded)$/.test(type)) this.setExcluded(String(e.executorId), false)
        else if (/Node(Blacklisted|Excluded)$/.test(type)) this.setNodeExcluded(String(e.hostId), true)
        else if (/Node(Unblacklisted|Unexcluded)$/.test(type)) this.setNodeExcluded(String(e.hostId), false)
        else if (/Executor(Blacklisted|Excluded)ForStage$/.test(type)) this.excludeForStage(String(e.executorId), num(e.stageId))
        else if (/Node(Blacklisted|Excluded)ForStage$/.test(type)) {
          for (const x of this.executors.values()) if (x.live && x.s.id !== 'driver' && hostOf(x.s.hostPort) === e.hostId) this.excludeForStage(x.s.id, num(e.stageId))
        }
    }
  }

  private onAppStart (e: ApplicationStartEvent): void {
    this.app.id = str(e['App ID']) ?? null
    this.app.name = str(e['App Name']) ?? null
    this.app.attemptId = str(e['App Attempt ID'])
    this.app.user = str(e['User']) ?? null
    this.app.startTime = num(e['Timestamp'])
    this.busy.start(this.app.startTime)
    this.seen(e['Timestamp'])
    if (e['Driver Logs'] && typeof e['Driver Logs'] === 'object') this.app.driverLogs = e['Driver Logs']
  }

  private onEnv (e: EnvironmentUpdateEvent): void {
    const j = e['JVM Information'] ?? {}
    this.env.runtime = { javaVersion: j['Java Version'], javaHome: j['Java Home'], scalaVersion: j['Scala Version'] }
    Object.assign(this.env.spark, e['Spark Properties'] ?? {})
    Object.assign(this.env.hadoop, e['Hadoop Properties'] ?? {})
    Object.assign(this.env.system, e['System Properties'] ?? {})
    Object.assign(this.env.metrics, e['Metrics Properties'] ?? {})
    Object.assign(this.env.classpath, e['Classpath Entries'] ?? {})
    const dbr = this.env.spark['spark.databricks.clusterUsageTags.sparkVersion']
    if (typeof dbr === 'string') this.app.dbrVersion = dbr
  }

  private onResourceProfile (e: ResourceProfileAddedEvent): void {
    const id = num(e['Resource Profile Id'])
    const ex: ResourceProfileInfo['executorResources'] = {}
    for (const [k, v] of Object.entries(e['Executor Resource Requests'] ?? {})) {
      ex[k] = { resourceName: String(v['Resource Name'] ?? k), amount: num(v['Amount']), discoveryScript: String(v['Discovery Script'] ?? ''), vendor: String(v['Vendor'] ?? '') }
    }
    const tr: ResourceProfileInfo['taskResources'] = {}
    for (const [k, v] of Object.entries(e['Task Resource Requests'] ?? {})) {
      tr[k] = { resourceName: String(v['Resource Name'] ?? k), amount: num(v['Amount']) }
    }
    this.resourceProfiles.set(id, { id, executorResources: ex, taskResources: tr })
  }

  private newExec (id: string, time: number): ExecState {
    const s: ExecutorSummary = {
      id,
      hostPort: '',
      isActive: true,
      rddBlocks: 0,
      memoryUsed: 0,
      diskUsed: 0,
      totalCores: 0,
      maxTasks: 0,
      activeTasks: 0,
      failedTasks: 0,
      completedTasks: 0,
      totalTasks: 0,
      // per-task sums: double fields from the start (see StageState's constructor), zeroed below
      totalDuration: NaN,
      totalGCTime: NaN,
      totalInputBytes: NaN,
      totalShuffleRead: NaN,
      totalShuffleWrite: NaN,
      isBlacklisted: false,
      isExcluded: false,
      maxMemory: 0,
      addTime: time,
      executorLogs: {},
      blacklistedInStages: [],
      excludedInStages: [],
      attributes: {},
      resources: {},
      resourceProfileId: 0,
      tasksLost: 0,
    }
    s.totalDuration = s.totalGCTime = s.totalInputBytes = s.totalShuffleRead = s.totalShuffleWrite = 0
    // every field present from the start: one hidden class for all executors (see StageState)
    const x: ExecState = { s, live: true, peak: undefined, excluded: new Set(), hasExecutorAdded: false }
    this.executors.set(id, x)
    return x
  }

  private onExecutorAdded (e: ExecutorAddedEvent): void {
    const id = String(e['Executor ID'])
    const t = num(e['Timestamp'])
    this.seenExec(t)
    const info = e['Executor Info'] ?? {}
    const x = this.executors.get(id) ?? this.newExec(id, t)
    x.hasExecutorAdded = true
    x.live = true
    x.s.isActive = true
    if (!x.s.hostPort) x.s.hostPort = String(info['Host'] ?? '')
    x.s.totalCores = num(info['Total Cores'])
    x.s.executorLogs = info['Log Urls'] ?? {}
    x.s.attributes = info['Attributes'] ?? {}
    const res: ExecutorSummary['resources'] = {}
    for (const [k, v] of Object.entries(info['Resources'] ?? {})) res[k] = { name: String(v.name ?? k), addresses: v.addresses ?? [] }
    x.s.resources = res
    x.s.resourceProfileId = num(info['Resource Profile Id'])
    this.markers.push({ time: t, kind: 'added', executorId: id, cores: x.s.totalCores })
  }

  private onExecutorRemoved (e: ExecutorRemovedEvent): void {
    const id = String(e['Executor ID'])
    const t = num(e['Timestamp'])
    this.seenExec(t)
    const x = this.executors.get(id)
    const reason = str(e['Removed Reason'])
    if (x) {
      x.live = false
      x.s.isActive = false
      x.s.removeTime = t
      if (reason !== undefined) x.s.removeReason = reason
    }
    this.markers.push({ time: t, kind: 'removed', executorId: id, cores: x?.s.totalCores ?? 0, ...(reason !== undefined ? { reason } : {}) })
  }

  private onBlockManagerAdded (e: BlockManagerAddedEvent): void {
    const bm = e['Block Manager ID'] ?? {}
    const id = String(bm['Executor ID'])
    const t = num(e['Timestamp'])
    this.seenExec(t)
    const x = this.executors.get(id) ?? this.newExec(id, t)
    if (bm['Host'] !== undefined) x.s.hostPort = `${bm['Host']}:${bm['Port']}`
    x.s.maxMemory = num(e['Maximum Memory'])
    if (e['Maximum Onheap Memory'] !== undefined) {
      x.s.memoryMetrics = {
        usedOnHeapStorageMemory: 0,
        usedOffHeapStorageMemory: 0,
        totalOnHeapStorageMemory: num(e['Maximum Onheap Memory']),
        totalOffHeapStorageMemory: num(e['Maximum Offheap Memory']),
      }
    }
  }

  private setExcluded (id: string, on: boolean): void {
    const x = this.executors.get(id)
    if (x && x.live) { x.s.isExcluded = on; x.s.isBlacklisted = on }
  }

  private setNodeExcluded (host: string, on: boolean): void {
    for (const x of this.executors.values()) {
      if (x.live && x.s.id !== 'driver' && hostOf(x.s.hostPort) === host) { x.s.isExcluded = on; x.s.isBlacklisted = on }
    }
  }

  private excludeForStage (id: string, stageId: number): void {
    const x = this.executors.get(id)
    if (x && x.live) x.excluded.add(stageId)
  }

  private stage (info: StageInfo): StageState {
    const stageId = num(info['Stage ID'])
    const attemptId = num(info['Stage Attempt ID'])
    const key = `${stageId}:${attemptId}`
    let s = this.stages.get(key)
    if (!s) {
      s = new StageState(stageId, attemptId)
      this.stages.set(key, s)
      const attempts = this.attemptsById.get(stageId)
      if (attempts) attempts.push(s)
      else this.attemptsById.set(stageId, [s])
    }
    s.name = String(info['Stage Name'] ?? s.name)
    s.details = String(info['Details'] ?? s.details)
    s.numTasks = num(info['Number of Tasks'], s.numTasks)
    if (info['Submission Time'] !== undefined) s.submissionTime = num(info['Submission Time'])
    if (info['Completion Time'] !== undefined) s.completionTime = num(info['Completion Time'])
    if (info['Failure Reason'] !== undefined) s.failureReason = String(info['Failure Reason'])
    if (Array.isArray(info['Parent IDs'])) s.parentIds = info['Parent IDs'].map((x: unknown) => num(x))
    if (Array.isArray(info['RDD Info'])) s.rddIds = info['RDD Info'].map((r) => num(r?.['RDD ID']))
    s.resourceProfileId = num(info['Resource Profile Id'], s.resourceProfileId)
    if (info['Shuffle Push Enabled'] !== undefined) s.isShufflePushEnabled = info['Shuffle Push Enabled'] === true
    s.shuffleMergersCount = num(info['Shuffle Push Mergers Count'], s.shuffleMergersCount)
    return s
  }

  private onJobStart (e: JobStartEvent): void {
    const jobId = num(e['Job ID'])
    const infos: StageInfo[] = Array.isArray(e['Stage Infos']) ? e['Stage Infos'] : []
    const props = e['Properties'] ?? {}
    const last = [...infos].sort((a, b) => num(a['Stage ID']) - num(b['Stage ID'])).pop()
    const stageIds: number[] = Array.isArray(e['Stage IDs']) ? e['Stage IDs'].map((x: unknown) => num(x)) : infos.map((i) => num(i['Stage ID']))
    const sub = num(e['Submission Time'], -1)
    this.seen(sub)
    const tags = typeof props['spark.job.tags'] === 'string' && props['spark.job.tags'] !== '' ? String(props['spark.job.tags']).split(',').sort() : []
    const data: JobData = {
      jobId,
      name: last ? String(last['Stage Name'] ?? '') : '',
      stageIds,
      jobTags: tags,
      status: 'RUNNING',
      numTasks: infos.filter((i) => i['Completion Time'] === undefined).reduce((a, i) => a + num(i['Number of Tasks']), 0),
      numActiveTasks: 0,
      numCompletedTasks: 0,
      numSkippedTasks: 0,
      numFailedTasks: 0,
      numKilledTasks: 0,
      numCompletedIndices: 0,
      numActiveStages: 0,
      numCompletedStages: 0,
      numSkippedStages: 0,
      numFailedStages: 0,
      killedTasksSummary: {},
    }
    if (sub > 0) data.submissionTime = sub
    if (props['spark.job.description'] !== undefined) data.description = String(props['spark.job.description'])
    if (props['spark.jobGroup.id'] !== undefined) data.jobGroup = String(props['spark.jobGroup.id'])
    if (props['spark.sql.execution.id'] !== undefined) {
      data.sqlExecutionId = num(props['spark.sql.execution.id'])
      this.sql.get(data.sqlExecutionId)?.jobIds.push(jobId)
    }
    const job = new JobState(data, stageIds)
    this.jobs.set(jobId, job)
    if (!this.jobOrder.has(jobId)) this.jobOrder.set(jobId, this.jobOrder.size)
    for (const id of job.stageIdSet) {
      const list = this.jobsOfStage.get(id)
      if (list) list.push(job)
      else this.jobsOfStage.set(id, [job])
    }
    for (const info of infos) {
      const s = this.stage(info)
      if (!s.jobIds.includes(jobId)) s.jobIds.push(jobId)
    }
  }

  private onJobEnd (e: JobEndEvent): void {
    const j = this.jobs.get(num(e['Job ID']))
    const t = num(e['Completion Time'], -1)
    this.seen(t)
    if (!j) return
    // the job's own stages (walking every stage of the application per job was quadratic on logs of many jobs)
    for (const id of j.stageIdSet) {
      for (const s of this.attemptsById.get(id) ?? []) {
        if (s.status !== 'PENDING') continue
        s.status = 'SKIPPED'
        j.skippedStages.add(s.stageId)
        j.data.numSkippedTasks += s.numTasks
        j.data.numActiveStages -= 1
      }
    }
    const r = e['Job Result']?.['Result']
    j.data.status = r === 'JobSucceeded' ? 'SUCCEEDED' : 'FAILED'
    if (t > 0) j.data.completionTime = t
  }

  private stageJobs (s: StageState): JobState[] {
    const out: JobState[] = []
    for (const id of s.jobIds) {
      const j = this.jobs.get(id)
      if (j) out.push(j)
    }
    return out
  }

  private onStageSubmitted (e: StageSubmittedEvent): void {
    const info = e['Stage Info'] ?? {}
    const s = this.stage(info)
    s.status = 'ACTIVE'
    const props = e['Properties'] ?? {}
    s.schedulingPool = String(props['spark.scheduler.pool'] ?? 'default')
    if (props['spark.job.description'] !== undefined) s.description = String(props['spark.job.description'])
    // Spark re-links a (re)submitted attempt to every job that lists its stage id, including still-running ones.
    // (in the order of `jobs`, as a walk of every job would give, which was quadratic on logs of many jobs)
    const order = this.jobOrder
    s.jobIds = (this.jobsOfStage.get(s.stageId) ?? [])
      .filter((j) => j.data.status === 'RUNNING' && this.jobs.get(j.data.jobId) === j)
      .sort((a, b) => order.get(a.data.jobId)! - order.get(b.data.jobId)!)
      .map((j) => j.data.jobId)
    for (const j of this.stageJobs(s)) {
      j.completedStages.delete(s.stageId)
      j.data.numActiveStages += 1
    }
    this.seen(s.submissionTime)
  }

  private onStageCompleted (e: StageCompletedEvent): void {
    const info = e['Stage Info'] ?? {}
    const key = `${num(info['Stage ID'])}:${num(info['Stage Attempt ID'])}`
    const s = this.stages.get(key)
    if (!s) return
    this.stage(info)
    s.status = s.failureReason !== undefined ? 'FAILED' : s.submissionTime !== undefined ? 'COMPLETE' : 'SKIPPED'
    for (const j of this.stageJobs(s)) {
      if (s.status === 'COMPLETE') j.completedStages.add(s.stageId)
      else if (s.status === 'SKIPPED') { j.skippedStages.add(s.stageId); j.data.numSkippedTasks += s.numTasks } else j.data.numFailedStages += 1
      j.data.numActiveStages -= 1
    }
    this.seen(s.completionTime)
    // Quantiles are final once no task of the attempt is still running. A task can still end later (a speculative
    // copy, a task whose start was not logged): keep the rows of recently completed stages a while, so that it
    // counts in the quantiles as it does in the stage totals, and take the summary when the rows are let go.
    s.completionSeen = true
    if (s.active <= 0 && !this.keepSamples) this.retire(s)
    for (const x of this.executors.values()) x.excluded.delete(s.stageId)
  }

  private onStageExecutorMetrics (e: StageExecutorMetricsEvent): void {
    const vals = new Float64Array(N_EXEC_METRICS)
    for (const [k, v] of Object.entries(e['Executor Metrics'] ?? {})) {
      const i = EXEC_METRIC_INDEX.get(k)
      if (i !== undefined) vals[i] = num(v)
    }
    const x = this.executors.get(String(e['Executor ID']))
    if (x && x.live) x.peak = maxInto(x.peak, vals)
    const s = this.stages.get(`${num(e['Stage ID'])}:${num(e['Stage Attempt ID'])}`)
    if (s) s.peak = maxInto(s.peak, vals)
  }

  private lastStage: StageState | undefined
  /** Stage attempt by id (tasks of one stage come in runs: the last one found is remembered; stages are never removed). */
  private stageOf (stageId: number, attemptId: number): StageState | undefined {
    const l = this.lastStage
    if (l && l.stageId === stageId && l.attemptId === attemptId) return l
    const s = this.stages.get(`${stageId}:${attemptId}`)
    if (s) this.lastStage = s
    return s
  }

  /** TaskStart (decoded by the fast scanner or JSON). */
  onTaskStart (stageId: number, attemptId: number, launchTime: number, executorId: string): void {
    const s = this.stageOf(stageId, attemptId)
    if (s) {
      s.active += 1
      if (launchTime > 0 && (s.firstTaskLaunchedTime === undefined || launchTime < s.firstTaskLaunchedTime)) s.firstTaskLaunchedTime = launchTime
      // (no array of the jobs made per task)
      for (let k = 0; k < s.jobIds.length; k++) {
        const j = this.jobs.get(s.jobIds[k]!)
        if (j) j.activeTasks += 1
      }
    }
    const x = this.executors.get(executorId)
    if (x && x.live) { x.s.activeTasks += 1; x.s.totalTasks += 1 }
  }

  /** TaskEnd (the record is reused by the caller: copy, never keep). */
  onTaskEnd (t: TaskEndRecord): void {
    this.taskCount++
    this.seen(t.finishTime)
    const r = t.reason
    let completed = 0; let failed = 0; let killed = 0; let active = 1
    if (r === 'Success') completed = 1
    else if (r === 'TaskKilled' || r === 'TaskCommitDenied') killed = 1
    else if (r === 'Resubmitted') { failed = 1; active = 0 } else failed = 1
    const finished = t.finishTime > 0
    const duration = finished ? t.finishTime - t.launchTime : 0
    const m = t.metrics
    const getting = t.gettingResultTime > 0 ? t.launchTime + duration - t.gettingResultTime : 0
    // Spark counts no scheduler delay for a task without Task Metrics (AppStatusUtils.schedulerDelay): an executor
    // lost under a task leaves none, and its whole duration is not delay.
    const noMetrics = r !== 'Success' && m[M.executorRunTime] === 0 && m[M.executorDeserializeTime] === 0 && m[M.resultSerializationTime] === 0
    const sched = finished && duration > 0 && !noMetrics
      ? Math.max(0, duration - m[M.executorRunTime]! - m[M.executorDeserializeTime]! - m[M.resultSerializationTime]! - getting)
      : 0
    if (r !== 'Resubmitted' && duration > 0) {
      const cpus = this.taskCpus()
      this.busy.add(t.launchTime, t.finishTime, cpus)
      this.busyCoreMs += duration * cpus
    }
    if (r === 'ExecutorLostFailure') {
      const lostId = /Executor ID[": ]+(\S+)/.exec(t.reasonDetail)?.[1] ?? t.executorId
      this.tasksLostByExecutor.set(t.executorId || lostId, (this.tasksLostByExecutor.get(t.executorId || lostId) ?? 0) + 1)
    }

    const s = this.stageOf(t.stageId, t.stageAttemptId)
    if (s) {
      const tot = s.totals
      for (let i = 0; i < N_METRICS; i++) tot[i]! += m[i]!
      s.active -= active
      s.complete += completed
      s.failed += failed
      s.killed += killed
      if (completed) s.completedIndices.set(t.index)
      if (killed) s.killedSummary[t.reasonDetail] = (s.killedSummary[t.reasonDetail] ?? 0) + 1
      s.schedulerDelay += sched
      s.gettingResultTime += getting
      s.taskTime += duration
      if (!completed && r !== 'Resubmitted') {
        s.failedTaskTime += duration
        this.noteFailure(t, s.stageId, duration)
      }
      s.peak = maxInto(s.peak, t.executorMetrics)
      if (!s.summary) {
        s.samples ??= new TaskSamples(this.blockPool)
        const held = s.samples.bytes
        s.samples.add(m, duration, sched, getting, completed === 1)
        if (s.retired) this.retainedBytes += s.samples.bytes - held
        // the last late task of a completed stage has ended: its rows can wait in the queue too
        else if (s.active <= 0 && s.completionSeen && !this.keepSamples) this.retire(s)
      }
      let newIndex = false
      if (completed) {
        let bs = this.completedIndicesByStage.get(t.stageId)
        if (!bs) { bs = new Bitset(); this.completedIndicesByStage.set(t.stageId, bs) }
        newIndex = bs.set(t.index)
      }
      for (let k = 0; k < s.jobIds.length; k++) {
        const j = this.jobs.get(s.jobIds[k]!)
        if (!j) continue
        j.activeTasks -= active
        j.completedTasks += completed
        if (newIndex) j.completedIndices += 1
        j.failedTasks += failed
        j.killedTasks += killed
        if (killed) {
          const ks = j.data.killedTasksSummary
          ks[t.reasonDetail] = (ks[t.reasonDetail] ?? 0) + 1
        }
      }
    }
    const x = this.executors.get(t.executorId)
    if (x && x.live) {
      const e = x.s
      e.activeTasks -= active
      e.completedTasks += completed
      e.failedTasks += failed
      e.totalDuration += duration
      if (r !== 'Resubmitted') {
        e.totalGCTime += m[M.jvmGcTime]!
        e.totalInputBytes += m[M.inputBytes]!
        e.totalShuffleRead += m[M.shuffleLocalBytesRead]! + m[M.shuffleRemoteBytesRead]!
        e.totalShuffleWrite += m[M.shuffleWriteBytes]!
      }
      x.peak = maxInto(x.peak, t.executorMetrics)
    }
  }

  /** Task failures by reason and exception class (bounded: one entry per class). */
  failures = new Map<string, TaskFailureClass>()
  private noteFailure (t: TaskEndRecord, stageId: number, duration: number): void {
    const cls = t.reason === 'ExceptionFailure' ? (/^[^:\s]+/.exec(t.reasonDetail)?.[0] ?? '') : ''
    const key = `${t.reason}|${cls}`
    let f = this.failures.get(key)
    if (!f) {
      if (this.failures.size >= MAX_FAILURE_CLASSES) return
      f = { reason: t.reason, detail: t.reasonDetail.slice(0, 2000), count: 0, timeMs: 0, stageIds: [], executorIds: [] }
      this.failures.set(key, f)
    }
    f.count++
    f.timeMs += duration
    if (f.stageIds.length < 50 && !f.stageIds.includes(stageId)) f.stageIds.push(stageId)
    if (f.executorIds.length < 50 && t.executorId !== '' && !f.executorIds.includes(t.executorId)) f.executorIds.push(t.executorId)
  }

  /** SQLExecutionStart (decoded without its plan). */
  onSqlStart (executionId: number, rootExecutionId: number | undefined, description: string, time: number): void {
    this.seen(time)
    const x: SqlExecution = { executionId, description, submissionTime: time, status: 'RUNNING', jobIds: [] }
    if (rootExecutionId !== undefined) x.rootExecutionId = rootExecutionId
    this.sql.set(executionId, x)
  }

  private onSqlEnd (e: SqlExecutionEndEvent): void {
    const x = this.sql.get(num(e.executionId))
    const t = num(e.time)
    this.seen(t)
    if (!x) return
    x.completionTime = t
    if (x.submissionTime !== undefined) x.duration = t - x.submissionTime
    const err = e.errorMessage
    if (typeof err === 'string' && err !== '') { x.errorMessage = err; x.status = 'FAILED' } else x.status = 'COMPLETED'
  }

  /** Queues a completed stage's rows; the oldest are summarised and freed beyond RETAINED_BYTES (O(1) amortised). */
  private retire (s: StageState): void {
    if (!s.samples || s.summary || s.retired) return
    s.retired = true
    this.retired.push(s)
    this.retainedBytes += s.samples.bytes
    while (this.retired.length - this.retiredHead > 1 && this.retainedBytes > RETAINED_BYTES) {
      const old = this.retired[this.retiredHead++]!
      this.retainedBytes -= old.samples?.bytes ?? 0
      this.finalizeStage(old)
    }
    if (this.retiredHead > 1024 && this.retiredHead * 2 > this.retired.length) {
      this.retired = this.retired.slice(this.retiredHead)
      this.retiredHead = 0
    }
  }

  private finalizeStage (s: StageState): void {
    if (!s.samples || s.summary) return
    const d = s.samples.distributions(this.quantiles)
    if (d) s.summary = { stageId: s.stageId, attemptId: s.attemptId, count: s.samples.successes, sampled: s.samples.sampled, ...d }
    const dur = s.samples.maxAndMedian(COL_DURATION)
    const bytes = s.samples.maxAndMedian(M.inputBytes, M.shuffleLocalBytesRead, M.shuffleRemoteBytesRead)
    const shape = s.samples.shape()
    s.skew = {
      tasks: dur.count,
      durationMax: dur.max,
      durationMedian: dur.median,
      bytesMax: bytes.max,
      bytesMedian: bytes.median,
      slowestBytes: shape.slowestBytes,
      durations: shape.durations,
      durationTasks: shape.tasks,
    }
    if (!this.keepSamples) { s.samples.release(); s.samples = undefined }
  }

  /** Quantiles for other q values (only when constructed with keepSamples). */
  stageDistributions (stageId: number, attemptId: number, quantiles: number[]) {
    return this.stages.get(`${stageId}:${attemptId}`)?.samples?.distributions(quantiles)
  }

  /** Per-stage spread numbers for flags, keyed "stageId:attemptId". */
  stageSkew (): Map<string, StageSkew> {
    const out = new Map<string, StageSkew>()
    for (const [k, s] of this.stages) if (s.skew) out.set(k, s.skew)
    return out
  }

  /** Per-stage DAG parents and failed task time, keyed "stageId:attemptId" (for the what-if replay and impacts). */
  stageShape (): Map<string, { parentIds?: number[]; failedTaskTime: number }> {
    const out = new Map<string, { parentIds?: number[]; failedTaskTime: number }>()
    for (const [k, s] of this.stages) out.set(k, { ...(s.parentIds ? { parentIds: s.parentIds } : {}), failedTaskTime: s.failedTaskTime })
    return out
  }

  /** Finishes open stages and returns the REST-shaped collections. */
  result () {
    for (const s of this.stages.values()) this.finalizeStage(s)
    const stages = [...this.stages.values()].sort((a, b) => b.stageId - a.stageId || b.attemptId - a.attemptId)
    const jobs = [...this.jobs.values()].sort((a, b) => b.data.jobId - a.data.jobId).map((j) => j.settle())
    const cpusPerTask = this.taskCpus()
    const appEnd = this.app.endTime ?? (this.lastTimestamp || null)
    const executors = [...this.executors.values()].map((x) => {
      const s = x.s
      const rp = this.resourceProfiles.get(s.resourceProfileId)
      const rpMax = rp ? maxTasksFromProfile(rp) : undefined
      s.maxTasks = rpMax ?? Math.floor(s.totalCores / (rp?.taskResources['cpus']?.amount || cpusPerTask))
      s.excludedInStages = [...x.excluded].sort((a, b) => a - b)
      s.blacklistedInStages = s.excludedInStages
      if (x.peak) s.peakMemoryMetrics = Object.fromEntries(EXECUTOR_METRICS.map((n, i) => [n, x.peak![i]!]))
      s.tasksLost = this.tasksLostByExecutor.get(s.id) ?? 0
      if (s.id === 'driver') {
        // Spark's AppStatusStore.replaceExec: the driver row reports the app's duration and its own GC.
        if (this.app.startTime !== null && appEnd !== null) s.totalDuration = appEnd - this.app.startTime
        if (s.peakMemoryMetrics) s.totalGCTime = s.peakMemoryMetrics['TotalGCTime'] ?? 0
        if (this.app.driverLogs && Object.keys(s.executorLogs).length === 0) s.executorLogs = this.app.driverLogs
      }
      return s
    })
    executors.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return {
      jobs,
      stages: stages.map((s) => stageData(s)),
      taskSummaries: stages.filter((s) => s.summary).map((s) => s.summary!),
      executors,
      sql: [...this.sql.values()].sort((a, b) => a.executionId - b.executionId),
    }
  }

  /** Spark properties with secrets masked. */
  sparkProperties (): [string, string][] {
    return redactedPairs(this.env.spark)
  }
}

function stageData (s: StageState): StageData {
  const t = s.totals
  const metric = Object.fromEntries(TASK_METRICS.map((m, i) => [m[0], t[i]!])) as Record<(typeof TASK_METRICS)[number][0], number>
  const d: StageData = {
    status: s.status,
    stageId: s.stageId,
    attemptId: s.attemptId,
    numTasks: s.numTasks,
    numActiveTasks: s.active,
    numCompleteTasks: s.complete,
    numFailedTasks: s.failed,
    numKilledTasks: s.killed,
    numCompletedIndices: s.completedIndices.size,
    ...metric,
    shuffleReadBytes: metric.shuffleLocalBytesRead + metric.shuffleRemoteBytesRead,
    name: s.name,
    details: s.details,
    schedulingPool: s.schedulingPool,
    rddIds: s.rddIds,
    killedTasksSummary: s.killedSummary,
    resourceProfileId: s.resourceProfileId,
    isShufflePushEnabled: s.isShufflePushEnabled,
    shuffleMergersCount: s.shuffleMergersCount,
    schedulerDelay: s.schedulerDelay,
    gettingResultTime: s.gettingResultTime,
    taskTime: s.taskTime,
    jobIds: s.jobIds,
  }
  if (s.submissionTime !== undefined) d.submissionTime = s.submissionTime
  if (s.firstTaskLaunchedTime !== undefined) d.firstTaskLaunchedTime = s.firstTaskLaunchedTime
  if (s.completionTime !== undefined) d.completionTime = s.completionTime
  if (s.failureReason !== undefined) d.failureReason = s.failureReason
  if (s.description !== undefined) d.description = s.description
  if (s.peak) d.peakExecutorMetrics = Object.fromEntries(EXECUTOR_METRICS.map((n, i) => [n, s.peak![i]!]))
  return d
}

function maxInto (peak: Float64Array | undefined, vals: Float64Array): Float64Array {
  const p = peak ?? new Float64Array(N_EXEC_METRICS)
  for (let i = 0; i < N_EXEC_METRICS; i++) if (vals[i]! > p[i]!) p[i] = vals[i]!
  return p
}

function hostOf (hostPort: string): string {
  const i = hostPort.lastIndexOf(':')
  return i < 0 ? hostPort : hostPort.slice(0, i)
}

/** ResourceProfile.maxTasksPerExecutor: the scarcest resource decides; undefined without executor cores. */
function maxTasksFromProfile (rp: ResourceProfileInfo): number | undefined {
  const cores = rp.executorResources['cores']?.amount
  if (!cores) return undefined
  const cpus = rp.taskResources['cpus']?.amount || 1
  let n = Math.floor(cores / cpus)
  for (const [name, tr] of Object.entries(rp.taskResources)) {
    if (name === 'cpus') continue
    const ex = rp.executorResources[name]
    if (ex && tr.amount > 0) n = Math.min(n, Math.floor(ex.amount / tr.amount))
  }
  return n
}
