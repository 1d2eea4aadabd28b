// Fast path for SparkListenerTaskEnd: reads the line's head up to Task Info's "Accumulables", then the metrics objects
// at the end of the line, never the large accumulables array between them. Each region is read by the shape learnt
// from earlier lines of the log (literal bytes compared, values parsed; the tail from the line's end backwards) or,
// when no shape fits, tokenized (the tail found by a backward byte search). Any line that does not look like a plain
// successful task returns false so that the caller falls back to JSON.parse (failures carry stack traces; few).
import { needle } from './byte-scan.js'
import { matchShape, matchShapeBack, ScanState, scanFields, STOPPED, TI } from './field-scanner.js'
import { bakeZeros, SEEN_OTHER, type ShapeList, type ShapeSet } from './line-shape.js'
import type { TaskEndRecord } from './task-metrics.js'

const K_TEM = needle('"Task Executor Metrics":{')
const K_TM = needle('"Task Metrics":{')

/**
 * Fills `rec` from a successful TaskEnd line, `buf[start, end)` (by default all of `buf`: the parser passes the line's
 * place in its read buffer rather than a view of it per line); false when the line needs the JSON.parse path. `st`
 * is the caller's scanner state (a fresh one when omitted).
 */
export function scanTaskEnd (buf: Buffer, rec: TaskEndRecord, st: ScanState = new ScanState(), start = 0, end = buf.length): boolean {
  const line = buf
  if (end - start < 2 || line[start] !== 0x7b || line[end - 1] !== 0x7d) return false
  // One pass from the first key: stage, end reason (anything but Success stops it), Task Info's fields up to its
  // Accumulables; without Accumulables it reads on through the metrics objects to the end of the line.
  // Lines of one log share their layout: each region is first read by its learnt shapes, then tokenized.
  clear(rec, st)
  const r = readRegion(st.taskEndHead, line, start + 1, end, rec, st, true)
  if (r === -1) return false
  if (r === STOPPED) {
    // Task Metrics closes the line and Task Executor Metrics comes just before it, while the Accumulables between
    // them and Task Info can be tens of KB: search backwards from the end so that the array is never read. Inside a
    // JSON string every quote is escaped, so these needles can only match real keys.
    const acc = st.stoppedAt
    if (readTailBack(line, start, acc, end, rec, st)) return finish(rec, st)
    const tm = lastKey(line, K_TM, start, end)
    const tem = lastKey(line, K_TEM, start, tm < 0 ? end : tm)
    // (metrics objects before Task Info's Accumulables: not Spark's layout)
    if ((tm >= 0 && tm < acc) || (tem >= 0 && tem < acc)) return false
    const from = tem >= 0 ? tem : tm
    if (from >= 0 && readRegion(st.taskEndTail, line, from, end, rec, st, false) !== 0) return false
  }
  return finish(rec, st)
}

/** Copies the head fields into `rec`; false when a required one is missing or the task did not succeed. */
function finish (rec: TaskEndRecord, st: ScanState): boolean {
  const tiNums = st.nums
  const tiStrs = st.strs
  const tiBools = st.bools
  if (tiStrs[TI['Reason']] !== 'Success') return false
  const stage = tiNums[TI['Stage ID']]!
  if (Number.isNaN(stage)) return false
  rec.stageId = stage
  rec.stageAttemptId = orZero(tiNums[TI['Stage Attempt ID']]!)
  const taskId = tiNums[TI['Task ID']]!
  const launch = tiNums[TI['Launch Time']]!
  const finish = tiNums[TI['Finish Time']]!
  const exec = tiStrs[TI['Executor ID']]
  if (Number.isNaN(taskId) || Number.isNaN(launch) || Number.isNaN(finish) || exec === undefined) return false
  rec.taskId = taskId
  rec.launchTime = launch
  rec.finishTime = finish
  rec.index = orZero(tiNums[TI['Index']]!)
  rec.attempt = orZero(tiNums[TI['Attempt']]!)
  const pid = tiNums[TI['Partition ID']]!
  rec.partitionId = Number.isNaN(pid) ? -1 : pid
  rec.gettingResultTime = orZero(tiNums[TI['Getting Result Time']]!)
  rec.executorId = exec
  rec.speculative = tiBools[TI['Speculative']] === true
  rec.failed = tiBools[TI['Failed']] === true
  rec.killed = tiBools[TI['Killed']] === true
  rec.reason = 'Success'
  rec.reasonDetail = ''
  rec.exitCausedByApp = true
  return true
}

/**
 * The metrics objects read by a learnt tail shape from the line's end backwards (no search for where they start).
 * They start where the forward path would start: at the last Task Executor Metrics key before the last Task Metrics
 * key (both keys lie in the shape's literal text, and a tail that starts at Task Metrics is taken only when no Task
 * Executor Metrics key comes before it).
 */
function readTailBack (line: Buffer, start: number, acc: number, end: number, rec: TaskEndRecord, st: ScanState): boolean {
  const set = st.taskEndTail
  if (set.shapes.length === 0) return false
  const hadExecutorMetrics = rec.hasExecutorMetrics
  st.savedMetrics.set(rec.metrics)
  st.savedExecutorMetrics.set(rec.executorMetrics)
  // first the shapes with recent lines' zeros folded in, then the plain ones
  if (tryTails(set.folded, line, start, acc, end, rec, st, hadExecutorMetrics) >= 0) return true
  if (tryTails(set, line, start, acc, end, rec, st, hadExecutorMetrics) < 0) return false
  fold(set, st)
  return true
}

/** Plain-shape reads of a region between two foldings of zeros into a shape (the first comes after as many). */
const FOLD_EVERY = 8
/** values a line needs to fold for a folded shape to be worth its keep */
const MIN_FOLDED = 4

/**
 * After a read by the plain shape in front of `set`: folds that line's zeros into a copy of it (see bakeZeros),
 * at most every FOLD_EVERY plain reads, so that a log whose zeros keep changing pays little for it.
 */
function fold (set: ShapeSet, st: ScanState): void {
  if (++set.sinceFold < FOLD_EVERY) return
  const sh = set.shapes[0]!
  let n = 0
  for (let k = 0; k < sh.kinds.length; k++) if (st.seen[k] !== SEEN_OTHER) n++
  if (n < MIN_FOLDED) return
  set.folded.learn(bakeZeros(sh, st.seen))
  set.sinceFold = 0
}

/**
 * Reads the tail by the first shape of `list` that fits (moved to the front) and answers its index; -1 when none
 * fits, with the metrics as they were before.
 */
function tryTails (list: ShapeList, line: Buffer, start: number, acc: number, end: number, rec: TaskEndRecord, st: ScanState, hadExecutorMetrics: boolean): number {
  const shapes = list.shapes
  for (let i = 0; i < shapes.length; i++) {
    const sh = shapes[i]!
    const from = matchShapeBack(sh, line, acc, end, rec, st)
    if (from >= 0 && (sh.startsWith(K_TEM) || lastKey(line, K_TEM, start, from + K_TEM.length) < 0)) {
      list.hit(i)
      return i
    }
    rec.metrics.set(st.savedMetrics)
    rec.executorMetrics.set(st.savedExecutorMetrics)
    rec.hasExecutorMetrics = hadExecutorMetrics
  }
  return -1
}

/**
 * Start of the last `key` lying whole in [start, to) of `buf`, or -1. The line is a slice of a read buffer holding
 * many lines: `buf.lastIndexOf(key, at)` would go on searching the lines before it when the key is absent (Spark 2.x
 * task lines have no Task Executor Metrics), scanning back through megabytes for every line. The search runs on a
 * view of the line instead (one small object per search, against a scan of the buffer).
 */
export function lastKey (buf: Buffer, key: Buffer, start: number, to: number): number {
  if (to - start < key.length) return -1
  const i = buf.subarray(start, to).lastIndexOf(key)
  return i < 0 ? -1 : start + i
}

function clear (rec: TaskEndRecord, st: ScanState): void {
  rec.metrics.fill(0)
  rec.executorMetrics.fill(0)
  rec.hasExecutorMetrics = false
  st.reset()
}

/**
 * Reads [from, to) by the region's shapes, else tokenizes it (learning its shape): the answer and the stored values
 * are those of scanFields. What a shape that fails part-way stored is undone first: for the head region (read first)
 * the record is cleared; for a later region, the metrics as they were before it are put back.
 */
export function readRegion (shapes: ShapeSet, line: Buffer, from: number, to: number, rec: TaskEndRecord, st: ScanState, head: boolean): number {
  if (shapes.shapes.length > 0) {
    const hadExecutorMetrics = rec.hasExecutorMetrics
    if (!head) {
      st.savedMetrics.set(rec.metrics)
      st.savedExecutorMetrics.set(rec.executorMetrics)
    }
    // first the shapes with recent lines' zeros folded in, then the plain ones (then fold this line's zeros)
    let r = tryRegion(shapes.folded, line, from, to, rec, st, head, hadExecutorMetrics)
    if (r !== -1) return r
    r = tryRegion(shapes, line, from, to, rec, st, head, hadExecutorMetrics)
    if (r !== -1) {
      fold(shapes, st)
      return r
    }
  }
  return scanFields(line, from, to, rec, st, shapes)
}

/** matchShape by the first shape of `list` that fits (moved to the front); -1 when none does, with the values undone. */
function tryRegion (list: ShapeList, line: Buffer, from: number, to: number, rec: TaskEndRecord, st: ScanState, head: boolean, hadExecutorMetrics: boolean): number {
  const shapes = list.shapes
  for (let i = 0; i < shapes.length; i++) {
    const r = matchShape(shapes[i]!, line, from, to, rec, st)
    if (r !== -1) {
      list.hit(i)
      return r
    }
    if (head) clear(rec, st)
    else {
      rec.metrics.set(st.savedMetrics)
      rec.executorMetrics.set(st.savedExecutorMetrics)
      rec.hasExecutorMetrics = hadExecutorMetrics
    }
  }
  return -1
}

const orZero = (n: number): number => (Number.isNaN(n) ? 0 : n)
