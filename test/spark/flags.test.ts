// Each red flag: one synthetic log that raises it and one that must not. Real fixtures where they fit.
import path from 'node:path'
import t, { type Test } from 'tap'
import { analyseEventLog, analyseText } from '../../src/spark/analyse.js'
import type { Analysis, FlagId } from '../../src/spark/analysis-types.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const MB = 1024 * 1024
const T0 = 1_700_000_000_000

interface Task { launch: number; dur: number; run?: number; gc?: number; input?: number; shuffleRead?: number; disk?: number; mem?: number; exec?: string; failed?: boolean; index?: number }
interface Scenario {
  appMs?: number
  cores?: number
  jobAt?: number
  jobMs?: number
  tasks: Task[]
  removed?: { id: string; at: number; reason: string }
  executorLost?: string
}

const j = (o: unknown): string => JSON.stringify(o)

/** A one-stage app as event lines. */
function log (s: Scenario): string {
  const appMs = s.appMs ?? 120_000
  const jobAt = s.jobAt ?? 0
  const lastFinish = Math.max(...s.tasks.map((x) => x.launch + x.dur), 0)
  const jobEnd = s.jobMs !== undefined ? jobAt + s.jobMs : lastFinish + 10
  const lines: unknown[] = [
    { Event: 'SparkListenerLogStart', 'Spark Version': '3.5.0' },
    { Event: 'SparkListenerApplicationStart', 'App Name': 'synthetic', 'App ID': 'app-1', Timestamp: T0, User: 'u' },
    { Event: 'SparkListenerEnvironmentUpdate', 'Spark Properties': { 'spark.executor.memory': '4g', 'spark.executor.cores': String(s.cores ?? 4), 'spark.sql.shuffle.partitions': '200' } },
    { Event: 'SparkListenerExecutorAdded', Timestamp: T0, 'Executor ID': '1', 'Executor Info': { Host: 'h1', 'Total Cores': s.cores ?? 4 } },
    { Event: 'SparkListenerExecutorAdded', Timestamp: T0, 'Executor ID': '2', 'Executor Info': { Host: 'h2', 'Total Cores': s.cores ?? 4 } },
    { Event: 'SparkListenerJobStart', 'Job ID': 0, 'Submission Time': T0 + jobAt, 'Stage Infos': [{ 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'map', 'Number of Tasks': s.tasks.length }], 'Stage IDs': [0] },
    { Event: 'SparkListenerStageSubmitted', 'Stage Info': { 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'map', 'Number of Tasks': s.tasks.length, 'Submission Time': T0 + jobAt } },
  ]
  s.tasks.forEach((x, i) => {
    const failed = x.failed === true
    lines.push({
      Event: 'SparkListenerTaskEnd',
      'Stage ID': 0,
      'Stage Attempt ID': 0,
      'Task Type': 'ShuffleMapTask',
      'Task End Reason': failed
        ? (s.executorLost ? { Reason: 'ExecutorLostFailure', 'Executor ID': s.executorLost, 'Exit Caused By App': true, 'Loss Reason': 'Container killed' } : { Reason: 'ExceptionFailure', 'Class Name': 'java.lang.RuntimeException', Description: 'boom' })
        : { Reason: 'Success' },
      'Task Info': { 'Task ID': i, Index: x.index ?? i, Attempt: 0, 'Launch Time': T0 + x.launch, 'Executor ID': x.exec ?? '1', Host: 'h1', Locality: 'PROCESS_LOCAL', Speculative: false, 'Getting Result Time': 0, 'Finish Time': T0 + x.launch + x.dur, Failed: failed, Killed: false, Accumulables: [{ ID: 1, Name: 'internal.metrics.executorRunTime', Update: 1, Value: 1 }] },
      'Task Metrics': {
        'Executor Deserialize Time': 0,
        'Executor Run Time': x.run ?? x.dur,
        'JVM GC Time': x.gc ?? 0,
        'Result Serialization Time': 0,
        'Memory Bytes Spilled': x.mem ?? 0,
        'Disk Bytes Spilled': x.disk ?? 0,
        'Shuffle Read Metrics': { 'Remote Bytes Read': x.shuffleRead ?? 0, 'Local Bytes Read': 0, 'Fetch Wait Time': 0 },
        'Input Metrics': { 'Bytes Read': x.input ?? 0, 'Records Read': 0 },
      },
    })
  })
  lines.push({ Event: 'SparkListenerStageCompleted', 'Stage Info': { 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'map', 'Number of Tasks': s.tasks.length, 'Submission Time': T0 + jobAt, 'Completion Time': T0 + lastFinish } })
  lines.push({ Event: 'SparkListenerJobEnd', 'Job ID': 0, 'Completion Time': T0 + jobEnd, 'Job Result': { Result: 'JobSucceeded' } })
  if (s.removed) lines.push({ Event: 'SparkListenerExecutorRemoved', Timestamp: T0 + s.removed.at, 'Executor ID': s.removed.id, 'Removed Reason': s.removed.reason })
  lines.push({ Event: 'SparkListenerApplicationEnd', Timestamp: T0 + appMs })
  return lines.map(j).join('\n') + '\n'
}

const tasks = (n: number, f: (i: number) => Task): Task[] => Array.from({ length: n }, (_, i) => f(i))
const flag = (a: Analysis, id: FlagId) => a.flags.find((f) => f.id === id)
/** A busy, healthy baseline: 8 cores busy for the whole app, 64 MB per task. */
const healthy = (): Scenario => ({ appMs: 60_000, tasks: tasks(16, (i) => ({ launch: (i % 2) * 25_000, dur: 25_000, input: 64 * MB, exec: i % 2 === 0 ? '1' : '2' })) })

t.test('healthy baseline raises nothing', async (t) => {
  const a = analyseText(log(healthy()))
  t.same(a.flags.map((f) => f.id), [])
  t.equal(a.kpis.tasks, 16)
  t.equal(a.recommendations.length, 0)
})

const cases: { id: FlagId; raise: Scenario; quiet: Scenario; check?: (t: Test, a: Analysis) => void }[] = [
  {
    id: 'infrastructure_bottleneck',
    raise: { tasks: tasks(4, (i) => ({ launch: i * 10, dur: 2000, run: 100 })) },
    quiet: { tasks: tasks(4, (i) => ({ launch: i * 10, dur: 2000, run: 1900 })) },
    check: (t, a) => t.equal(flag(a, 'infrastructure_bottleneck')!.metrics['schedulerDelayMs'], 4 * 1900),
  },
  {
    id: 'over_partitioning',
    raise: { tasks: tasks(20, (i) => ({ launch: i * 100, dur: 5000, input: 1 * MB })) },
    quiet: { tasks: tasks(20, (i) => ({ launch: i * 100, dur: 5000, input: 50 * MB })) },
  },
  {
    id: 'preemption_risk',
    raise: { ...healthy(), removed: { id: '2', at: 55_000, reason: 'Worker Lost: 10.59.184.228:46767 got disassociated' } },
    quiet: { ...healthy(), removed: { id: '2', at: 55_000, reason: 'Container container_1 exited from explicit termination request.' } },
    check: (t, a) => t.same(flag(a, 'preemption_risk')!.executorIds, ['2']),
  },
  {
    id: 'high_gc',
    raise: { tasks: tasks(4, (i) => ({ launch: i, dur: 10_000, gc: 3_000 })) },
    quiet: { tasks: tasks(4, (i) => ({ launch: i, dur: 10_000, gc: 1_000 })) },
    check: (t, a) => t.equal(flag(a, 'high_gc')!.metrics['worstGcRatio'], 0.3),
  },
  {
    id: 'skew',
    raise: { tasks: tasks(10, (i) => ({ launch: 0, dur: i === 9 ? 60_000 : 5_000 })) },
    quiet: { tasks: tasks(10, () => ({ launch: 0, dur: 5_000 })) },
    check: (t, a) => t.equal(flag(a, 'skew')!.metrics['worstDurationRatio'], 12),
  },
  {
    id: 'disk_spill',
    raise: { tasks: tasks(4, () => ({ launch: 0, dur: 5_000, shuffleRead: 125 * MB, disk: 50 * MB, mem: 200 * MB })) },
    quiet: { tasks: tasks(4, () => ({ launch: 0, dur: 5_000, shuffleRead: 125 * MB, disk: 1 * MB })) },
    check: (t, a) => t.equal(flag(a, 'disk_spill')!.metrics['diskBytesSpilled'], 200 * MB),
  },
  {
    id: 'failed_tasks',
    raise: { tasks: tasks(4, (i) => ({ launch: 0, dur: 1000, failed: i === 0 })) },
    quiet: { tasks: tasks(4, () => ({ launch: 0, dur: 1000 })) },
    check: (t, a) => t.equal(flag(a, 'failed_tasks')!.metrics['failedTasks'], 1),
  },
  {
    id: 'executor_loss',
    raise: { ...healthy(), removed: { id: '2', at: 55_000, reason: 'Container marked as failed: container_e1 on host: h2. Exit status: 137. Diagnostics: Container killed on request.' } },
    quiet: { ...healthy(), removed: { id: '2', at: 55_000, reason: 'Executor killed by driver.' } },
    check: (t, a) => t.equal(flag(a, 'executor_loss')!.metrics['memoryKills'], 1),
  },
  {
    id: 'idle_cores',
    raise: { appMs: 600_000, jobMs: 590_000, tasks: tasks(4, () => ({ launch: 0, dur: 60_000 })) },
    quiet: { appMs: 600_000, jobMs: 590_000, tasks: tasks(8, (i) => ({ launch: 0, dur: 590_000, exec: i % 2 === 0 ? '1' : '2' })) },
    check: (t, a) => t.ok(a.kpis.coreUtilisation! < 0.1),
  },
  {
    id: 'driver_bound',
    raise: { appMs: 600_000, tasks: tasks(2, () => ({ launch: 0, dur: 60_000 })) },
    quiet: { appMs: 600_000, jobMs: 590_000, tasks: tasks(2, () => ({ launch: 0, dur: 60_000 })) },
    check: (t, a) => t.ok(flag(a, 'driver_bound')!.metrics['longestGapMs']! >= 500_000),
  },
  {
    id: 'huge_partitions',
    raise: { tasks: tasks(6, (i) => ({ launch: 0, dur: 5_000, shuffleRead: i === 0 ? 2048 * MB : 1500 * MB })) },
    quiet: { tasks: tasks(6, () => ({ launch: 0, dur: 5_000, shuffleRead: 100 * MB })) },
    check: (t, a) => t.equal(flag(a, 'huge_partitions')!.metrics['largestTaskBytes'], 2048 * MB),
  },
]

for (const c of cases) {
  t.test(c.id, async (t) => {
    const hot = analyseText(log(c.raise))
    const f = flag(hot, c.id)
    t.ok(f, `${c.id} raised`)
    t.ok(f && f.evidence.length > 0, 'has evidence')
    t.ok(f && f.recommendationIds.length > 0, 'points at recommendations')
    t.ok(hot.recommendations.some((r) => r.flagIds.includes(c.id)), 'a recommendation is produced')
    c.check?.(t, hot)
    const cold = analyseText(log(c.quiet))
    t.notOk(flag(cold, c.id), `${c.id} not raised`)
  })
}

t.test('recommendations compute values from the run', async (t) => {
  const a = analyseText(log(cases.find((c) => c.id === 'huge_partitions')!.raise))
  const r = a.recommendations.find((x) => x.id === 'more_shuffle_partitions')!
  const parts = r.configs.find((c) => c.key === 'spark.sql.shuffle.partitions')!
  // 2 GiB largest stage read? no: stage total = 2048 + 5 × 1500 MB = 9548 MB -> /128 MB = 74.6 -> 75 -> multiple of 8 cores = 80
  t.equal(parts.current, '200')
  t.equal(parts.suggested, '80')
  const gc = analyseText(log(cases.find((c) => c.id === 'high_gc')!.raise))
  const mem = gc.recommendations.find((x) => x.id === 'more_memory_per_core')!
  t.same(mem.configs.map((c) => [c.key, c.current, c.suggested]), [['spark.executor.memory', '4g', '6g'], ['spark.executor.cores', '4', '3']])
})

const LOGS = EVENTLOGS

t.test('real logs', async (t) => {
  const lost = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_3nodes_12cores_exec_removed'))
  t.ok(flag(lost, 'preemption_risk'), 'worker lost with host text is caught (the original missed it)')
  const yarn = await analyseEventLog(path.join(LOGS, 'spark/application_1538416563558_0014'))
  const loss = flag(yarn, 'executor_loss')
  t.ok(loss, 'YARN container failures are executor loss')
  t.notOk(flag(yarn, 'preemption_risk'))
  t.equal(loss!.metrics['tasksLost'], 8)
  const dyn = await analyseEventLog(path.join(LOGS, 'sparklint/application_1472176676028_407508_1'))
  t.notOk(flag(dyn, 'executor_loss'), 'dynamic-allocation scale-down is not a loss')
  t.notOk(flag(dyn, 'preemption_risk'))
})
