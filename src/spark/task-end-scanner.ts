// Fast path for SparkListenerTaskEnd: tokenizes the line's head up to Task Info's "Accumulables", finds the metrics
// objects at the end of the line by a backward byte search and tokenizes them, never the large accumulables array. Any line that does not look like a plain successful task
// returns false so that the caller falls back to JSON.parse (failures carry stack traces and rare shapes; few).
import { needle } from './byte-scan.js'
import { ScanState, scanFields, STOPPED, TI } from './field-scanner.js'
import type { TaskEndRecord } from './task-metrics.js'

const K_TEM = needle('"Task Executor Metrics":{')
const K_TM = needle('"Task Metrics":{')

/**
 * Fills `rec` from a successful TaskEnd line; false when the line needs the JSON.parse path. `st` is the caller's
 * scanner state (a fresh one when omitted).
 */
export function scanTaskEnd (line: Buffer, rec: TaskEndRecord, st: ScanState = new ScanState()): boolean {
  const end = line.length
  if (end < 2 || line[0] !== 0x7b || line[end - 1] !== 0x7d) return false
  rec.metrics.fill(0)
  rec.executorMetrics.fill(0)
  rec.hasExecutorMetrics = false
  st.reset()
  const tiNums = st.nums
  const tiStrs = st.strs
  const tiBools = st.bools
  // One pass from the first key: stage, end reason (anything but Success stops it), Task Info's fields up to its
  // Accumulables; without Accumulables it reads on through the metrics objects to the end of the line.
  const r = scanFields(line, 1, end, rec, st)
  if (r === -1) return false
  if (r === STOPPED) {
    // Task Metrics closes the line and Task Executor Metrics comes just before it, while the Accumulables between
    // them and Task Info can be tens of KB: search backwards from the end so that the array is never read. Inside a
    // JSON string every quote is escaped, so these needles can only match real keys.
    const acc = st.stoppedAt
    const tm = line.lastIndexOf(K_TM)
    const tem = line.lastIndexOf(K_TEM, tm < 0 ? end : tm)
    // (metrics objects before Task Info's Accumulables: not Spark's layout)
    if ((tm >= 0 && tm < acc) || (tem >= 0 && tem < acc)) return false
    const from = tem >= 0 ? tem : tm
    if (from >= 0 && scanFields(line, from, end, rec, st) !== 0) return false
  }
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
