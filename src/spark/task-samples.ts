// Per stage-attempt column store of task values for Spark-exact quantiles. Numbers only, in column-major blocks, capped
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
/** Task durations kept per stage attempt for the what-if replay (evenly thinned beyond). */
export const MAX_REPLAY_TASKS = 4096

/** Spark's quantile index rule (AppStatusStore.taskSummary): min(floor(q × count), count − 1). */
export function sparkQuantileIndex (q: number, count: number): number {
  return Math.min(Math.floor(q * count), count - 1)
}

/**
 * Released blocks kept for the next stages (one per Aggregator): allocating a fresh zeroed block per stage and
 * dropping it again cost more than reading the tasks' metrics on logs with many stages. Reused blocks are not
 * cleared: a block's rows are always written before they are read.
 */
export class BlockPool {
  private readonly free = new Map<number, Float64Array[]>()
  private held = 0

  constructor (private readonly maxBytes = 16 * 1024 * 1024) {}

  give (block: Float64Array): void {
    if (this.held + block.byteLength > this.maxBytes) return
    this.held += block.byteLength
    const list = this.free.get(block.length)
    if (list) list.push(block)
    else this.free.set(block.length, [block])
  }

  /** A block of `length` values: a released one when there is one (its old values still in it), else a new one. */
  take (length: number): Float64Array {
    const list = this.free.get(length)
    const b = list?.pop()
    if (b === undefined) return new Float64Array(length)
    this.held -= b.byteLength
    return b
  }
}

/** Task value rows of one stage attempt. */
export class TaskSamples {
  /**
   * Column-major blocks of BLOCK_ROWS rows: column c of a block with capacity `cap` is data[c*cap, c*cap + cap).
   * The first block starts at 8 rows and doubles up to BLOCK_ROWS, so small stages stay small (a one-task stage holds
   * 2.6 KB, not the 21 KB of a 64-row start: logs of tens of thousands of tiny stages exist).
   */
  private blocks: Float64Array[] = []
  rows = 0
  /** bytes the rows' blocks hold */
  bytes = 0
  seen = 0
  successes = 0
  private rng = 0x9e3779b9
  private scratch = new Float64Array(0)
  /** the first row's values, and per column whether any later row differed (then it may need selecting) */
  private readonly first = new Float64Array(STRIDE)
  private readonly varies = new Uint8Array(STRIDE)
  private anyFailed = false
  private readonly pool: BlockPool | undefined

  /** `pool`: where blocks come from and go back to when released (none: fresh blocks, left to the GC) */
  constructor (pool?: BlockPool) {
    this.pool = pool
  }

  /** a NaN was added (the parsers never produce one; kept exact all the same) */
  private sawNaN = false

  /** Adds one ended task (metrics in task-metrics slot order). */
  add (metrics: Float64Array, duration: number, schedulerDelay: number, gettingResult: number, success: boolean): void {
    this.seen++
    if (success) this.successes++
    else this.anyFailed = true
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
    const r = row & (BLOCK_ROWS - 1)
    let block = this.blocks[b]
    if (!block || r * STRIDE >= block.length) block = this.grow(b, r)
    const cap = block.length / STRIDE
    const first = this.first
    const varies = this.varies
    if (this.seen === 1) {
      first.set(metrics)
      first[COL_DURATION] = duration
      first[COL_SCHED] = schedulerDelay
      first[COL_GETTING] = gettingResult
      first[COL_SUCCESS] = success ? 1 : 0
      for (let c = 0; c < STRIDE; c++) if (Number.isNaN(first[c])) { varies[c] = 1; this.sawNaN = true }
    }
    for (let c = 0; c < N_METRICS; c++) {
      const v = metrics[c]!
      block[c * cap + r] = v
      if (v !== first[c]) { varies[c] = 1; if (Number.isNaN(v)) this.sawNaN = true }
    }
    this.put(block, cap, r, COL_DURATION, duration)
    this.put(block, cap, r, COL_SCHED, schedulerDelay)
    this.put(block, cap, r, COL_GETTING, gettingResult)
    this.put(block, cap, r, COL_SUCCESS, success ? 1 : 0)
  }

  private put (block: Float64Array, cap: number, r: number, c: number, v: number): void {
    block[c * cap + r] = v
    if (v !== this.first[c]) { this.varies[c] = 1; if (Number.isNaN(v)) this.sawNaN = true }
  }

  /** Block b with room for row r (the first block doubles from 8 rows; later ones are full size). */
  private grow (b: number, r: number): Float64Array {
    const old = this.blocks[b]
    let cap = old ? old.length / STRIDE : b === 0 ? 8 : BLOCK_ROWS
    while (cap <= r) cap *= 2
    cap = Math.min(cap, BLOCK_ROWS)
    const block = this.pool ? this.pool.take(cap * STRIDE) : new Float64Array(cap * STRIDE)
    if (old) {
      const oc = old.length / STRIDE
      for (let c = 0; c < STRIDE; c++) block.set(old.subarray(c * oc, c * oc + oc), c * cap)
      this.pool?.give(old)
    }
    this.blocks[b] = block
    this.bytes += block.byteLength - (old?.byteLength ?? 0)
    return block
  }

  get sampled (): boolean {
    return this.seen > this.rows
  }

  /** Successful tasks among the kept rows (Spark's `count`, the index base). */
  private keptSuccesses (): number {
    if (!this.anyFailed) return this.rows
    let n = 0
    this.eachBlock((blk, cap, len) => {
      const o = COL_SUCCESS * cap
      for (let r = 0; r < len; r++) if (blk[o + r] === 1) n++
    })
    return n
  }

  private eachBlock (fn: (block: Float64Array, cap: number, len: number) => void): void {
    for (let b = 0; b * BLOCK_ROWS < this.rows; b++) {
      const blk = this.blocks[b]!
      fn(blk, blk.length / STRIDE, Math.min(BLOCK_ROWS, this.rows - b * BLOCK_ROWS))
    }
  }

  /**
   * The sum of columns `a` (+ `b`, + `c` when >= 0) over the kept rows (successful ones only if asked), in row order.
   * `colSame` tells whether all its values are equal, `colNaN` whether one may be NaN.
   */
  private column (onlySuccess: boolean, a: number, b = -1, c = -1): Float64Array {
    const out = this.scratch.length >= this.rows ? this.scratch : (this.scratch = new Float64Array(this.rows))
    const filter = onlySuccess && this.anyFailed
    let n = 0
    this.eachBlock((blk, cap, len) => {
      if (!filter && b < 0) {
        out.set(blk.subarray(a * cap, a * cap + len), n)
        n += len
        return
      }
      const s = COL_SUCCESS * cap
      for (let r = 0; r < len; r++) {
        if (filter && blk[s + r] !== 1) continue
        let v = blk[a * cap + r]!
        if (b >= 0) v += blk[b * cap + r]!
        if (c >= 0) v += blk[c * cap + r]!
        out[n++] = v
      }
    })
    const varies = this.varies[a] === 1 || (b >= 0 && this.varies[b] === 1) || (c >= 0 && this.varies[c] === 1)
    this.colSame = !varies
    this.colNaN = varies && this.sawNaN
    return out.subarray(0, n)
  }

  private colSame = false
  private colNaN = false

  /**
   * Quantile values (ascending indices `idx`) of the sum of columns a (+ b, + c). A column that never varied needs no
   * rows at all (there is at least one row: distributions is only asked with a successful task).
   */
  private quantiles (onlySuccess: boolean, idx: number[], a: number, b = -1, c = -1): number[] {
    const v = this.varies
    if (v[a] === 0 && (b < 0 || v[b] === 0) && (c < 0 || v[c] === 0)) {
      let x = this.first[a]!
      if (b >= 0) x += this.first[b]!
      if (c >= 0) x += this.first[c]!
      return idx.map(() => x)
    }
    return this.pick(this.column(onlySuccess, a, b, c), idx)
  }

  /** Values at ascending indices `idx` (clamped to the end) of the column as sorted, without sorting all of it. */
  private pick (col: Float64Array, idx: number[]): number[] {
    const n = col.length
    if (n === 0) return idx.map(() => 0)
    if (this.colSame) return idx.map(() => col[0]!)
    if (this.colNaN) {
      col.sort() // NaN goes last, as a full sort puts it
      return idx.map((i) => col[Math.min(i, n - 1)]!)
    }
    // Successive selections: once a[k] is in place, every later index lies in [k, n).
    let lo = 0
    return idx.map((i) => {
      const k = Math.min(i, n - 1)
      if (k >= lo) { select(col, k, lo, n - 1); lo = k }
      return col[k]!
    })
  }

  /** TaskMetricDistributions by Spark's rule; undefined when no task succeeded (Spark answers 404). */
  distributions (quantilesIn: number[]): TaskMetricDistributions | undefined {
    const count = this.keptSuccesses()
    if (count === 0) return undefined
    const quantiles = [...quantilesIn].sort((a, b) => a - b)
    const idx = quantiles.map((q) => sparkQuantileIndex(q, count))
    const metric = (slot: number): number[] => this.quantiles(true, idx, slot)
    const all = (col: number): number[] => this.quantiles(false, idx, col)
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
        readBytes: this.quantiles(true, idx, M.shuffleLocalBytesRead, M.shuffleRemoteBytesRead),
        readRecords: metric(M.shuffleReadRecords),
        remoteBlocksFetched: metric(M.shuffleRemoteBlocksFetched),
        localBlocksFetched: metric(M.shuffleLocalBlocksFetched),
        fetchWaitTime: metric(M.shuffleFetchWaitTime),
        remoteBytesRead: metric(M.shuffleRemoteBytesRead),
        remoteBytesReadToDisk: metric(M.shuffleRemoteBytesReadToDisk),
        totalBlocksFetched: this.quantiles(true, idx, M.shuffleLocalBlocksFetched, M.shuffleRemoteBlocksFetched),
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
  maxAndMedian (a: number, b = -1, c = -1): { max: number; median: number; count: number } {
    const col = this.column(true, a, b, c)
    const n = col.length
    if (n === 0) return { max: 0, median: 0, count: 0 }
    const [median, max] = this.pick(col, [sparkQuantileIndex(0.5, n), n - 1])
    return { max: max!, median: median!, count: n }
  }

  /**
   * The slowest successful task's bytes read (input + shuffle) and the ended tasks' durations in end order, evenly
   * thinned to MAX_REPLAY_TASKS (for the what-if replay; `tasks` is how many they stand for).
   */
  shape (): { slowestBytes: number; durations: Float32Array; tasks: number } {
    const step = Math.max(1, this.rows / MAX_REPLAY_TASKS)
    const durations = new Float32Array(Math.min(this.rows, MAX_REPLAY_TASKS))
    let slowest = -1
    let slowestBytes = 0
    let row = 0
    let next = 0
    let k = 0
    this.eachBlock((blk, cap, len) => {
      for (let r = 0; r < len; r++, row++) {
        const d = blk[COL_DURATION * cap + r]!
        if (row >= next && k < durations.length) { durations[k++] = d; next = Math.floor(k * step) }
        if (blk[COL_SUCCESS * cap + r] === 1 && d > slowest) {
          slowest = d
          slowestBytes = blk[M.inputBytes * cap + r]! + blk[M.shuffleLocalBytesRead * cap + r]! + blk[M.shuffleRemoteBytesRead * cap + r]!
        }
      }
    })
    return { slowestBytes, durations: durations.subarray(0, k), tasks: this.seen }
  }

  /** Frees the rows once the summary is taken. */
  release (): void {
    if (this.pool) for (const b of this.blocks) this.pool.give(b)
    this.blocks = []
    this.scratch = new Float64Array(0)
    this.rows = 0
    this.bytes = 0
  }

  private random (): number {
    // xorshift32: deterministic, so the same log always gives the same sample
    let x = this.rng
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.rng = x >>> 0
    return this.rng
  }
}

/**
 * Rearranges a[lo..hi] so that a[k] holds the value a full ascending sort would put there, with no larger value
 * before it and no smaller one after it (Hoare's selection; no NaN in a).
 */
export function select (a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    if (hi - lo < 16) {
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i]!
        let j = i - 1
        while (j >= lo && a[j]! > v) { a[j + 1] = a[j]!; j-- }
        a[j + 1] = v
      }
      return
    }
    const x = a[lo]!
    const y = a[(lo + hi) >>> 1]!
    const z = a[hi]!
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i] = a[j]!
        a[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return
  }
}
