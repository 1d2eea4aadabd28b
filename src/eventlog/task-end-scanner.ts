// Fast path for SparkListenerTaskEnd: reads the needed fields by byte search, never parsing the large
// "Accumulables" array. Any line that does not look like a plain successful task returns false so that the caller
// falls back to JSON.parse (failures carry stack traces and rare shapes; they are few).
import { after, boolAt, needle, numberAt, plainStringAt } from './byte-scan.js'
import { EXEC_METRIC_INDEX, N_METRICS, TASK_METRICS, type TaskEndRecord } from './task-metrics.js'

const K_STAGE = needle('"Stage ID":')
const K_STAGE_ATTEMPT = needle('"Stage Attempt ID":')
const K_REASON_SUCCESS = needle('"Task End Reason":{"Reason":"Success"}')
const K_TASK_INFO = needle('"Task Info":{')
const K_ACC = needle('"Accumulables":[')
const K_TEM = needle('"Task Executor Metrics":{')
const K_TM = needle('"Task Metrics":{')
const K_PUSH_A = needle('"Shuffle Push Read Metrics":{')
const K_PUSH_B = needle('"Push Based Shuffle":{')
const K_FALLBACK_B = needle('"Merged Fetch Fallback Count":')

const TI = {
  taskId: needle('"Task ID":'),
  index: needle('"Index":'),
  attempt: needle('"Attempt":'),
  partitionId: needle('"Partition ID":'),
  launchTime: needle('"Launch Time":'),
  executorId: needle('"Executor ID":'),
  host: needle('"Host":'),
  locality: needle('"Locality":'),
  speculative: needle('"Speculative":'),
  gettingResultTime: needle('"Getting Result Time":'),
  finishTime: needle('"Finish Time":'),
  failed: needle('"Failed":'),
  killed: needle('"Killed":'),
}
const METRIC_KEYS = TASK_METRICS.map((m) => needle(`"${m[1]}":`))
const PUSH_FIRST = TASK_METRICS.findIndex((m) => m[2] === 'Shuffle Push Read Metrics')
const FALLBACK_SLOT = TASK_METRICS.findIndex((m) => m[1] === 'Merged Fallback Count')

/** Fills `rec` from a successful TaskEnd line; false when the line needs the JSON.parse path. */
export function scanTaskEnd(line: Buffer, rec: TaskEndRecord): boolean {
  const end = line.length
  if (line[end - 1] !== 0x7d) return false
  let p = after(line, K_STAGE, 0, 200)
  if (p < 0) return false
  rec.stageId = numberAt(line, p)
  p = after(line, K_STAGE_ATTEMPT, p, p + 60)
  rec.stageAttemptId = p < 0 ? 0 : numberAt(line, p)
  if (after(line, K_REASON_SUCCESS, 0, 400) < 0) return false
  const ti = after(line, K_TASK_INFO, 0, end)
  if (ti < 0) return false
  const acc = after(line, K_ACC, ti, end)
  const tem = line.indexOf(K_TEM, acc < 0 ? ti : acc)
  const tm = line.indexOf(K_TM, tem < 0 ? (acc < 0 ? ti : acc) : tem)
  // Task Info's own fields sit before its Accumulables; without them, before the metrics objects.
  const tiEnd = acc >= 0 ? acc : tem >= 0 ? tem : tm >= 0 ? tm : end

  const taskId = numAfter(line, TI.taskId, ti, tiEnd)
  const launch = numAfter(line, TI.launchTime, ti, tiEnd)
  const finish = numAfter(line, TI.finishTime, ti, tiEnd)
  if (Number.isNaN(taskId) || Number.isNaN(launch) || Number.isNaN(finish)) return false
  rec.taskId = taskId
  rec.launchTime = launch
  rec.finishTime = finish
  rec.index = orZero(numAfter(line, TI.index, ti, tiEnd))
  const att = numAfter(line, TI.attempt, ti, tiEnd)
  rec.attempt = Number.isNaN(att) ? 0 : att
  const pid = numAfter(line, TI.partitionId, ti, tiEnd)
  rec.partitionId = Number.isNaN(pid) ? -1 : pid
  rec.gettingResultTime = orZero(numAfter(line, TI.gettingResultTime, ti, tiEnd))
  let q = after(line, TI.executorId, ti, tiEnd)
  const exec = q < 0 ? undefined : plainStringAt(line, q)
  if (exec === undefined) return false
  rec.executorId = exec
  q = after(line, TI.host, ti, tiEnd)
  rec.host = (q < 0 ? undefined : plainStringAt(line, q)) ?? ''
  q = after(line, TI.locality, ti, tiEnd)
  rec.locality = (q < 0 ? undefined : plainStringAt(line, q)) ?? ''
  q = after(line, TI.speculative, ti, tiEnd)
  rec.speculative = q >= 0 && boolAt(line, q) === true
  q = after(line, TI.failed, ti, tiEnd)
  rec.failed = q >= 0 && boolAt(line, q) === true
  q = after(line, TI.killed, ti, tiEnd)
  rec.killed = q >= 0 && boolAt(line, q) === true
  rec.reason = 'Success'
  rec.reasonDetail = ''
  rec.exitCausedByApp = true

  const m = rec.metrics
  m.fill(0)
  if (tm >= 0) {
    const tmStart = tm + K_TM.length
    let push = line.indexOf(K_PUSH_A, tmStart)
    let pushIsWriterName = false
    if (push < 0) {
      push = line.indexOf(K_PUSH_B, tmStart)
      pushIsWriterName = push >= 0
    }
    const pushEnd = push < 0 ? -1 : line.indexOf(0x7d, push)
    for (let i = 0; i < N_METRICS; i++) {
      const isPush = i >= PUSH_FIRST
      let v: number
      if (isPush) {
        if (push < 0) continue
        v = numAfter(line, METRIC_KEYS[i]!, push, pushEnd)
        if (Number.isNaN(v) && pushIsWriterName && i === FALLBACK_SLOT) v = numAfter(line, K_FALLBACK_B, push, pushEnd)
      } else {
        // Keys carry their opening quote, so "Remote Bytes Read" cannot match inside "Merged Remote Bytes Read".
        v = numAfter(line, METRIC_KEYS[i]!, tmStart, end)
      }
      if (!Number.isNaN(v)) m[i] = v
    }
  }
  rec.executorMetrics.fill(0)
  rec.hasExecutorMetrics = false
  if (tem >= 0) {
    rec.hasExecutorMetrics = true
    readFlatNumbers(line, tem + K_TEM.length, rec.executorMetrics)
  }
  return true
}

function numAfter(line: Buffer, key: Buffer, from: number, to: number): number {
  const p = after(line, key, from, to)
  return p < 0 ? NaN : numberAt(line, p)
}

const orZero = (n: number): number => (Number.isNaN(n) ? 0 : n)

/** Reads {"Name":number,...} (flat) starting just after "{" into executor-metric slots. */
function readFlatNumbers(line: Buffer, pos: number, out: Float64Array): void {
  const close = line.indexOf(0x7d, pos)
  if (close < 0) return
  let i = pos
  while (i < close) {
    const ks = line.indexOf(0x22, i)
    if (ks < 0 || ks >= close) break
    const ke = line.indexOf(0x22, ks + 1)
    if (ke < 0 || ke >= close) break
    const idx = EXEC_METRIC_INDEX.get(line.toString('latin1', ks + 1, ke))
    const v = numberAt(line, ke + 2)
    if (idx !== undefined && !Number.isNaN(v)) out[idx] = v
    const comma = line.indexOf(0x2c, ke)
    i = comma < 0 ? close : comma + 1
  }
}
