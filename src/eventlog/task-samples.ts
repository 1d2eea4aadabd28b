// Per stage-attempt column store of task values for Spark-exact quantiles. Numbers only, in fixed-size blocks, capped
// at Spark's own per-stage retention (spark.ui.retainedTasks = 100000) with a reservoir sample beyond it, so memory
// stays bounded whatever the task count.
import type { TaskMetricDistributions } from './analysis-types.js'
import { M, N_METRICS } from './task-metrics.js'

/** Column of the task duration (successful and failed rows alike). */
export const COL_DURATION = N_METRICS
const COL_SCHED = N_METRICS + 1
const COL_GETTING = N_METRICS + 2
const COL_SUCCESS = N_METRICS + 3
const STRIDE = N_METRICS + 4
const BLOCK_ROWS = 1024
/** Spark's spark.ui.retainedTasks default: the history server keeps at most this many tasks per stage. */
export const MAX_TASK_ROWS = 100_000

/** Spark's quantile index rule (AppStatusStore.taskSummary): min(floor(q × count), count − 1). */
export function sparkQuantileIndex(q: number, count: number): number {
  return Math.min(Math.floor(q * count), count - 1)
}

/** Task value rows of one stage attempt. */
export class TaskSamples {
  private blocks: Float64Array[] = []
  rows = 0
  seen = 0
  successes = 0
  private rng = 0x9e3779b9
  private scratch = new Float64Array(0)

  /** Adds one ended task (metrics in task-metrics slot order). */
  add(metrics: Float64Array, duration: number, schedulerDelay: number, gettingResult: number, success: boolean): void {
    this.seen++
    if (success) this.successes++
    let row: number
    if (this.rows < MAX_TASK_ROWS) {
      row = this.rows++
    } else {
      // Algorithm R: each task ends up in the sample with equal probability.
      const j = this.random() % this.seen
      if (j >= MAX_TASK_ROWS) return
      row = j
    }
    const b = row >>> 10
    let block = this.blocks[b]
    if (!block) {
      block = new Float64Array(BLOCK_ROWS * STRIDE)
      this.blocks[b] = block
    }
    const o = (row & (BLOCK_ROWS - 1)) * STRIDE
    block.set(metrics, o)
    block[o + COL_DURATION] = duration
    block[o + COL_SCHED] = schedulerDelay
    block[o + COL_GETTING] = gettingResult
    block[o + COL_SUCCESS] = success ? 1 : 0
  }

  get sampled(): boolean {
    return this.seen > this.rows
  }

  /** Successful tasks among the kept rows (Spark's `count`, the index base). */
  private keptSuccesses(): number {
    let n = 0
    for (let r = 0; r < this.rows; r++) if (this.blocks[r >>> 10]![(r & (BLOCK_ROWS - 1)) * STRIDE + COL_SUCCESS] === 1) n++
    return n
  }

  /** The sum of columns `a` (+ `b`, + `c` when >= 0) over the kept rows (successful ones only if asked), sorted. */
  private column(onlySuccess: boolean, a: number, b = -1, c = -1): Float64Array {
    const out = this.scratch.length >= this.rows ? this.scratch : (this.scratch = new Float64Array(this.rows))
    let n = 0
    let min = Infinity
    let max = -Infinity
    for (let r = 0; r < this.rows; r++) {
      const blk = this.blocks[r >>> 10]!
      const o = (r & (BLOCK_ROWS - 1)) * STRIDE
      if (onlySuccess && blk[o + COL_SUCCESS] !== 1) continue
      let v = blk[o + a]!
      if (b >= 0) v += blk[o + b]!
      if (c >= 0) v += blk[o + c]!
      if (v < min) min = v
      if (v > max) max = v
      if (v !== v) max = NaN // sorted like the rest
      out[n++] = v
    }
    const col = out.subarray(0, n)
    // Many metrics are the same for every task (zeros, mostly): nothing to sort.
    return min === max ? col : col.sort()
  }

  /** TaskMetricDistributions by Spark's rule; undefined when no task succeeded (Spark answers 404). */
  distributions(quantilesIn: number[]): TaskMetricDistributions | undefined {
    const count = this.keptSuccesses()
    if (count === 0) return undefined
    const quantiles = [...quantilesIn].sort((a, b) => a - b)
    const idx = quantiles.map((q) => sparkQuantileIndex(q, count))
    const pick = (sorted: Float64Array): number[] =>
      idx.map((i) => (sorted.length === 0 ? 0 : sorted[Math.min(i, sorted.length - 1)]!))
    const metric = (slot: number): number[] => pick(this.column(true, slot))
    const all = (col: number): number[] => pick(this.column(false, col))
    return {
      quantiles,
      duration: all(COL_DURATION),
      executorDeserializeTime: metric(M.executorDeserializeTime),
      executorDeserializeCpuTime: metric(M.executorDeserializeCpuTime),
      executorRunTime: metric(M.executorRunTime),
      executorCpuTime: metric(M.executorCpuTime),
      resultSize: metric(M.resultSize),
      jvmGcTime: metric(M.jvmGcTime),
      resultSerializationTime: metric(M.resultSerializationTime),
      gettingResultTime: all(COL_GETTING),
      schedulerDelay: all(COL_SCHED),
      peakExecutionMemory: metric(M.peakExecutionMemory),
      memoryBytesSpilled: metric(M.memoryBytesSpilled),
      diskBytesSpilled: metric(M.diskBytesSpilled),
      inputMetrics: { bytesRead: metric(M.inputBytes), recordsRead: metric(M.inputRecords) },
      outputMetrics: { bytesWritten: metric(M.outputBytes), recordsWritten: metric(M.outputRecords) },
      shuffleReadMetrics: {
        readBytes: pick(this.column(true, M.shuffleLocalBytesRead, M.shuffleRemoteBytesRead)),
        readRecords: metric(M.shuffleReadRecords),
        remoteBlocksFetched: metric(M.shuffleRemoteBlocksFetched),
        localBlocksFetched: metric(M.shuffleLocalBlocksFetched),
        fetchWaitTime: metric(M.shuffleFetchWaitTime),
        remoteBytesRead: metric(M.shuffleRemoteBytesRead),
        remoteBytesReadToDisk: metric(M.shuffleRemoteBytesReadToDisk),
        totalBlocksFetched: pick(this.column(true, M.shuffleLocalBlocksFetched, M.shuffleRemoteBlocksFetched)),
        remoteReqsDuration: metric(M.shuffleRemoteReqsDuration),
        shufflePushReadMetricsDist: {
          corruptMergedBlockChunks: metric(M.shuffleCorruptMergedBlockChunks),
          mergedFetchFallbackCount: metric(M.shuffleMergedFetchFallbackCount),
          remoteMergedBlocksFetched: metric(M.shuffleMergedRemoteBlocksFetched),
          localMergedBlocksFetched: metric(M.shuffleMergedLocalBlocksFetched),
          remoteMergedChunksFetched: metric(M.shuffleMergedRemoteChunksFetched),
          localMergedChunksFetched: metric(M.shuffleMergedLocalChunksFetched),
          remoteMergedBytesRead: metric(M.shuffleMergedRemoteBytesRead),
          localMergedBytesRead: metric(M.shuffleMergedLocalBytesRead),
          remoteMergedReqsDuration: metric(M.shuffleMergedRemoteReqsDuration),
        },
      },
      shuffleWriteMetrics: {
        writeBytes: metric(M.shuffleWriteBytes),
        writeRecords: metric(M.shuffleWriteRecords),
        writeTime: metric(M.shuffleWriteTime),
      },
    }
  }

  /** Largest and median successful-task value of the sum of up to three columns, for skew checks. */
  maxAndMedian(a: number, b = -1, c = -1): { max: number; median: number; count: number } {
    const col = this.column(true, a, b, c)
    if (col.length === 0) return { max: 0, median: 0, count: 0 }
    return { max: col[col.length - 1]!, median: col[sparkQuantileIndex(0.5, col.length)]!, count: col.length }
  }

  /** Frees the rows once the summary is taken. */
  release(): void {
    this.blocks = []
    this.scratch = new Float64Array(0)
    this.rows = 0
  }

  private random(): number {
    // xorshift32: deterministic, so the same log always gives the same sample
    let x = this.rng
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.rng = x >>> 0
    return this.rng
  }
}
