// Fast path for SparkListenerTaskEnd: locates Task Info and the metrics objects by byte search and tokenizes only
// those regions, never the large "Accumulables" array. Any line that does not look like a plain successful task
// returns false so that the caller falls back to JSON.parse (failures carry stack traces and rare shapes; few).
import { after, needle, numberAt } from './byte-scan.js'
import { resetTaskInfo, scanFields, TI, tiBools, tiNums, tiStrs } from './field-scanner.js'
import type { TaskEndRecord } from './task-metrics.js'

const K_STAGE = needle('"Stage ID":')
const K_STAGE_ATTEMPT = needle('"Stage Attempt ID":')
const K_REASON_SUCCESS = needle('"Task End Reason":{"Reason":"Success"}')
const K_TASK_INFO = needle('"Task Info":{')
const K_ACC = needle('"Accumulables":[')
const K_TEM = needle('"Task Executor Metrics":{')
const K_TM = needle('"Task Metrics":{')
/** Task Executor Metrics + Task Metrics usually fit in ~3 KB at the end of a TaskEnd line. */
const TAIL_WINDOW = 6144

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
  // The metrics objects close the line while Accumulables can be tens of KB: look in a window at the end first, so
  // the accumulables are not scanned; fall back to the whole rest of the line. (Buffer.lastIndexOf with a multi-byte
  // needle is much slower than indexOf in Node, so it is not used.)
  const floor = acc < 0 ? ti : acc
  const from = Math.max(floor, end - TAIL_WINDOW)
  let tm = line.indexOf(K_TM, from)
  let tem = tm < 0 ? -1 : line.indexOf(K_TEM, from)
  if (tm < 0 || from > floor) {
    if (tm < 0) tm = line.indexOf(K_TM, floor)
    if (tem < 0 || tem > tm) tem = line.indexOf(K_TEM, floor)
  }
  if (tem > tm && tm >= 0) tem = -1
  // Task Info's own fields sit before its Accumulables; without them, before the metrics objects.
  const tiEnd = acc >= 0 ? acc - K_ACC.length : tem >= 0 ? tem : tm >= 0 ? tm : end
  const m = rec.metrics
  m.fill(0)
  rec.executorMetrics.fill(0)
  rec.hasExecutorMetrics = tem >= 0
  resetTaskInfo()
  if (!scanFields(line, ti - K_TASK_INFO.length, tiEnd, rec)) return false
  const metricsFrom = tem >= 0 ? tem : tm
  if (metricsFrom >= 0 && !scanFields(line, metricsFrom, end, rec)) return false

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
  rec.host = tiStrs[TI['Host']] ?? ''
  rec.locality = tiStrs[TI['Locality']] ?? ''
  rec.speculative = tiBools[TI['Speculative']] === true
  rec.failed = tiBools[TI['Failed']] === true
  rec.killed = tiBools[TI['Killed']] === true
  rec.reason = 'Success'
  rec.reasonDetail = ''
  rec.exitCausedByApp = true
  return true
}

const orZero = (n: number): number => (Number.isNaN(n) ? 0 : n)
