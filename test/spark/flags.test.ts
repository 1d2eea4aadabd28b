// Each red flag: one synthetic log that raises it and one that must not. Real fixtures where they fit.
import path from 'node:path'
import t, { type Test } from 'tap'
import { analyseEventLog, analyseText } from '../../src/spark/analyse.js'
import type { Analysis, FlagId } from '../../src/spark/analysis-types.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const MB = 1024 * 1024
const T0 = 1_700_000_000_000

interface Task { launch: number; dur: number; run?: number; gc?: number; deser?: number; input?: number; shuffleRead?: number; disk?: number; mem?: number; exec?: string; failed?: boolean; lost?: boolean; index?: number }
interface Stage { id: number; submit: number; tasks: Task[]; parents?: number[] }
interface Scenario {
  appMs?: number
  cores?: number
  jobAt?: number
  jobMs?: number
  tasks: Task[]
  /** more stages after stage 0 (ids 1..), each with its own submission time */
  stages?: Stage[]
  removed?: { id: string; at: number; reason: string }
  executorLost?: string
  version?: string
  props?: Record<string, string>
}

const j = (o: unknown): string => JSON.stringify(o)

function taskEnd (stageId: number, i: number, x: Task, s: Scenario): unknown {
  const failed = x.failed === true || x.lost === true
  return {
    Event: 'SparkListenerTaskEnd',
    'Stage ID': stageId,
    'Stage Attempt ID': 0,
    'Task Type': 'ShuffleMapTask',
    'Task End Reason': x.lost
      ? { Reason: 'ExecutorLostFailure', 'Executor ID': s.executorLost ?? x.exec ?? '2', 'Exit Caused By App': true, 'Loss Reason': 'Container killed' }
      : failed ? { Reason: 'ExceptionFailure', 'Class Name': 'java.lang.RuntimeException', Description: 'boom' } : { Reason: 'Success' },
    'Task Info': { 'Task ID': stageId * 10_000 + i, Index: x.index ?? i, Attempt: 0, 'Launch Time': T0 + x.launch, 'Executor ID': x.exec ?? '1', Host: 'h1', Locality: 'PROCESS_LOCAL', Speculative: false, 'Getting Result Time': 0, 'Finish Time': T0 + x.launch + x.dur, Failed: failed, Killed: false, Accumulables: [{ ID: 1, Name: 'internal.metrics.executorRunTime', Update: 1, Value: 1 }] },
    ...(x.lost
      ? {}
      : {
          'Task Metrics': {
            'Executor Deserialize Time': x.deser ?? 0,
            'Executor Run Time': x.run ?? x.dur,
            'JVM GC Time': x.gc ?? 0,
            'Result Serialization Time': 0,
            'Memory Bytes Spilled': x.mem ?? 0,
            'Disk Bytes Spilled': x.disk ?? 0,
            'Shuffle Read Metrics': { 'Remote Bytes Read': x.shuffleRead ?? 0, 'Local Bytes Read': 0, 'Fetch Wait Time': 0 },
            'Input Metrics': { 'Bytes Read': x.input ?? 0, 'Records Read': 0 },
          },
        }),
  }
}

/** An app of one job: stage 0 from `tasks`, then `stages`, as event lines. */
function log (s: Scenario): string {
  const appMs = s.appMs ?? 120_000
  const jobAt = s.jobAt ?? 0
  const stages: Stage[] = [{ id: 0, submit: jobAt, tasks: s.tasks }, ...(s.stages ?? [])]
  const all = stages.flatMap((st) => st.tasks)
  const lastFinish = Math.max(...all.map((x) => x.launch + x.dur), 0)
  const jobEnd = s.jobMs !== undefined ? jobAt + s.jobMs : lastFinish + 10
  const info = (st: Stage, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ 'Stage ID': st.id, 'Stage Attempt ID': 0, 'Stage Name': `stage ${st.id}`, 'Number of Tasks': st.tasks.length, 'Parent IDs': st.parents ?? [], ...extra })
  const lines: unknown[] = [
    { Event: 'SparkListenerLogStart', 'Spark Version': s.version ?? '3.5.0' },
    { Event: 'SparkListenerApplicationStart', 'App Name': 'synthetic', 'App ID': 'app-1', Timestamp: T0, User: 'u' },
    { Event: 'SparkListenerEnvironmentUpdate', 'Spark Properties': { 'spark.executor.memory': '4g', 'spark.executor.cores': String(s.cores ?? 4), 'spark.sql.shuffle.partitions': '200', 'spark.master': 'yarn', ...s.props } },
    { Event: 'SparkListenerExecutorAdded', Timestamp: T0, 'Executor ID': '1', 'Executor Info': { Host: 'h1', 'Total Cores': s.cores ?? 4 } },
    { Event: 'SparkListenerExecutorAdded', Timestamp: T0, 'Executor ID': '2', 'Executor Info': { Host: 'h2', 'Total Cores': s.cores ?? 4 } },
    { Event: 'SparkListenerJobStart', 'Job ID': 0, 'Submission Time': T0 + jobAt, 'Stage Infos': stages.map((st) => info(st)), 'Stage IDs': stages.map((st) => st.id) },
  ]
  for (const st of stages) {
    lines.push({ Event: 'SparkListenerStageSubmitted', 'Stage Info': info(st, { 'Submission Time': T0 + st.submit }) })
    st.tasks.forEach((x, i) => lines.push({ Event: 'SparkListenerTaskStart', 'Stage ID': st.id, 'Stage Attempt ID': 0, 'Task Info': { 'Task ID': st.id * 10_000 + i, Index: i, 'Launch Time': T0 + x.launch, 'Executor ID': x.exec ?? '1', Host: 'h1' } }))
    st.tasks.forEach((x, i) => lines.push(taskEnd(st.id, i, x, s)))
    const end = Math.max(...st.tasks.map((x) => x.launch + x.dur), st.submit)
    lines.push({ Event: 'SparkListenerStageCompleted', 'Stage Info': info(st, { 'Submission Time': T0 + st.submit, 'Completion Time': T0 + end }) })
  }
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
    // real infrastructure delay: 1.9 s of every 2 s task is waiting for a slot, not running
    id: 'infrastructure_bottleneck',
    raise: { appMs: 10_000, tasks: tasks(8, (i) => ({ launch: i * 10, dur: 2000, run: 100, exec: i % 2 ? '2' : '1' })) },
    // tiny tasks with 5 ms delay each: per-task overhead, not infrastructure (issue 10: tasks_executors_fail, EMR attempts)
    quiet: { appMs: 10_000, tasks: tasks(400, (i) => ({ launch: i * 5, dur: 15, run: 10, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => {
      const f = flag(a, 'infrastructure_bottleneck')!
      t.equal(f.metrics['schedulerDelayMs'], 8 * 1900)
      t.equal(f.impactMs, 1900, 'Σ delay over the 8 task slots')
      t.equal(f.severity, 'warning', '19% of a short app: capped at warning')
      t.notOk(f.evidence.some((e) => /compute -|−\d/.test(e)), 'nothing negative')
    },
  },
  {
    // 400 × 200 KB tasks on 8 cores whose overhead is a third of their time (issue 10: missed before)
    id: 'over_partitioning',
    raise: { appMs: 20_000, tasks: tasks(400, (i) => ({ launch: Math.floor(i / 8) * 300, dur: 300, run: 200, deser: 60, input: 200 * 1024, exec: i % 2 ? '2' : '1' })) },
    // same count, cheap overhead (1 % of task time): not worth a flag (issue 10: q88, delight scans)
    quiet: { appMs: 20_000, tasks: tasks(400, (i) => ({ launch: Math.floor(i / 8) * 300, dur: 300, run: 297, deser: 3, input: 200 * 1024, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => t.ok(flag(a, 'over_partitioning')!.impactMs! > 0),
  },
  {
    // a spot worker lost mid-job with its tasks
    id: 'preemption_risk',
    raise: { ...healthy(), tasks: [...healthy().tasks, { launch: 20_000, dur: 5_000, lost: true, exec: '2' }], removed: { id: '2', at: 26_000, reason: 'Worker Lost: 10.59.184.228:46767 got disassociated' } },
    // the same removal after the last job, no task lost: teardown (issue 10: q88)
    quiet: { ...healthy(), removed: { id: '2', at: 59_000, reason: 'worker lost: 10.59.176.34:35971 got disassociated' } },
    check: (t, a) => t.same(flag(a, 'preemption_risk')!.executorIds, ['2']),
  },
  {
    id: 'high_gc',
    raise: { appMs: 12_000, tasks: tasks(8, (i) => ({ launch: i, dur: 10_000, gc: 3_000, exec: i % 2 ? '2' : '1' })) },
    quiet: { appMs: 12_000, tasks: tasks(8, (i) => ({ launch: i, dur: 10_000, gc: 1_000, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => {
      t.equal(flag(a, 'high_gc')!.metrics['worstGcRatio'], 0.3)
      t.equal(flag(a, 'high_gc')!.impactMs, 3000, 'Σ GC over the 8 slots: one pause, not eight')
    },
  },
  {
    // the slow task reads 5× the median bytes: data skew
    id: 'skew',
    raise: { appMs: 70_000, tasks: tasks(10, (i) => ({ launch: 0, dur: i === 9 ? 60_000 : 5_000, shuffleRead: i === 9 ? 500 * MB : 100 * MB, exec: i % 2 ? '2' : '1' })) },
    // the same slow task reading the median bytes: a straggler, not skew (issue 10: sparklint event_log_0)
    quiet: { appMs: 70_000, tasks: tasks(10, (i) => ({ launch: 0, dur: i === 9 ? 60_000 : 5_000, shuffleRead: 100 * MB, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => t.equal(flag(a, 'skew')!.metrics['worstDurationRatio'], 12),
  },
  {
    id: 'stragglers',
    raise: { appMs: 70_000, tasks: tasks(10, (i) => ({ launch: 0, dur: i === 9 ? 60_000 : 5_000, input: 128 * MB, exec: i % 2 ? '2' : '1' })) },
    quiet: { appMs: 70_000, tasks: tasks(10, (i) => ({ launch: 0, dur: i === 9 ? 60_000 : 5_000, input: i === 9 ? 640 * MB : 128 * MB, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => t.ok(a.recommendations.some((r) => r.configs.some((c) => c.key === 'spark.speculation' && c.suggested === 'true'))),
  },
  {
    id: 'disk_spill',
    raise: { appMs: 10_000, tasks: tasks(4, () => ({ launch: 0, dur: 5_000, shuffleRead: 125 * MB, disk: 50 * MB, mem: 200 * MB })) },
    quiet: { appMs: 10_000, tasks: tasks(4, () => ({ launch: 0, dur: 5_000, shuffleRead: 125 * MB, disk: 1 * MB })) },
    check: (t, a) => t.equal(flag(a, 'disk_spill')!.metrics['diskBytesSpilled'], 200 * MB),
  },
  {
    id: 'failed_tasks',
    raise: { appMs: 10_000, tasks: tasks(8, (i) => ({ launch: 0, dur: 1000, failed: i < 2, exec: i % 2 ? '2' : '1' })) },
    quiet: { appMs: 10_000, tasks: tasks(8, (i) => ({ launch: 0, dur: 1000, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => {
      t.equal(flag(a, 'failed_tasks')!.metrics['failedTasks'], 2)
      t.match(flag(a, 'failed_tasks')!.evidence[0], /^root cause: exception in the task: java.lang.RuntimeException: boom/)
    },
  },
  {
    // exit 137 mid-job with a task lost: a memory kill
    id: 'executor_loss',
    raise: { ...healthy(), tasks: [...healthy().tasks, { launch: 20_000, dur: 5_000, lost: true, exec: '2' }], removed: { id: '2', at: 26_000, reason: 'Container marked as failed: container_e1 on host: h2. Exit status: 137. Diagnostics: Container killed on request.' } },
    quiet: { ...healthy(), removed: { id: '2', at: 55_000, reason: 'Executor killed by driver.' } },
    check: (t, a) => {
      const f = flag(a, 'executor_loss')!
      t.equal(f.metrics['memoryKills'], 1)
      t.match(f.evidence[0], /^root cause: exit 137/)
    },
  },
  {
    id: 'idle_cores',
    raise: { appMs: 600_000, jobMs: 590_000, tasks: tasks(4, () => ({ launch: 0, dur: 60_000 })) },
    quiet: { appMs: 600_000, jobMs: 590_000, tasks: tasks(8, (i) => ({ launch: 0, dur: 590_000, exec: i % 2 === 0 ? '1' : '2' })) },
    check: (t, a) => {
      t.ok(a.kpis.coreUtilisation! < 0.1)
      t.equal(flag(a, 'idle_cores')!.severity, 'warning', 'a cost: never critical')
    },
  },
  {
    id: 'driver_bound',
    raise: { appMs: 600_000, tasks: tasks(2, () => ({ launch: 0, dur: 60_000 })) },
    quiet: { appMs: 600_000, jobMs: 590_000, tasks: tasks(2, () => ({ launch: 0, dur: 60_000 })) },
    check: (t, a) => {
      t.ok(flag(a, 'driver_bound')!.metrics['longestGapMs']! >= 500_000)
      t.equal(flag(a, 'driver_bound')!.severity, 'critical', '90 % of the wall clock with no job')
    },
  },
  {
    // two 2 GB partitions on 8 cores: 6 cores idle while they run
    id: 'huge_partitions',
    raise: { appMs: 10_000, tasks: tasks(2, (i) => ({ launch: 0, dur: 8_000, shuffleRead: i === 0 ? 2048 * MB : 1500 * MB, exec: i % 2 ? '2' : '1' })) },
    quiet: { appMs: 10_000, tasks: tasks(8, (i) => ({ launch: 0, dur: 8_000, shuffleRead: 100 * MB, exec: i % 2 ? '2' : '1' })) },
    check: (t, a) => {
      t.equal(flag(a, 'huge_partitions')!.metrics['largestTaskBytes'], 2048 * MB)
      t.equal(flag(a, 'huge_partitions')!.impactMs, 8000 - 16_000 / 8)
    },
  },
  {
    // saturated cluster: stage 1 is submitted while stage 0's tasks hold all 8 cores, and waits 20 s for a slot
    id: 'capacity_bound',
    raise: {
      appMs: 150_000,
      tasks: tasks(16, (i) => ({ launch: Math.floor(i / 8) * 20_000, dur: 20_000, input: 64 * MB, exec: i % 2 ? '2' : '1' })),
      stages: [{ id: 1, submit: 1_000, tasks: tasks(8, (i) => ({ launch: 40_000, dur: 20_000, input: 64 * MB, exec: i % 2 ? '2' : '1' })) }],
    },
    // the same wait with idle cores is infrastructure, not capacity
    quiet: {
      appMs: 150_000,
      tasks: tasks(8, (i) => ({ launch: 0, dur: 20_000, input: 64 * MB, exec: i % 2 ? '2' : '1' })),
      stages: [{ id: 1, submit: 21_000, tasks: tasks(8, (i) => ({ launch: 60_000, dur: 20_000, input: 64 * MB, exec: i % 2 ? '2' : '1' })) }],
    },
    check: (t, a) => {
      const f = flag(a, 'capacity_bound')!
      t.ok(f.impactMs! > 0)
      t.notOk(flag(a, 'infrastructure_bottleneck'), 'a full cluster is not infrastructure')
      t.match(f.evidence[0], /every core busy/)
    },
  },
]

for (const c of cases) {
  t.test(c.id, async (t) => {
    const hot = analyseText(log(c.raise))
    const f = flag(hot, c.id)
    t.ok(f, `${c.id} raised`)
    t.ok(f && f.evidence.length > 0, 'has evidence')
    t.ok(f && f.recommendationIds.length > 0, 'points at recommendations')
    t.ok(typeof f?.impactMs === 'number' && typeof f?.impactShare === 'number', 'has an impact')
    // advice follows warning and critical flags; an info flag is worth knowing, not worth changing a config for
    if (f && f.severity !== 'info') t.ok(hot.recommendations.some((r) => r.flagIds.includes(c.id)), 'a recommendation is produced')
    c.check?.(t, hot)
    const cold = analyseText(log(c.quiet))
    t.notOk(flag(cold, c.id), `${c.id} not raised`)
  })
}

t.test('recommendations compute values from the run', async (t) => {
  const a = analyseText(log(cases.find((c) => c.id === 'huge_partitions')!.raise))
  const r = a.recommendations.find((x) => x.id === 'more_shuffle_partitions')!
  const parts = r.configs.find((c) => c.key === 'spark.sql.shuffle.partitions')!
  // more partitions: 3548 MB / 128 MB = 28, but at least twice today's 200 -> 400 (a multiple of the 8 cores)
  t.equal(parts.current, '200')
  t.equal(parts.suggested, '400')
  const gc = analyseText(log(cases.find((c) => c.id === 'high_gc')!.raise))
  const mem = gc.recommendations.find((x) => x.id === 'more_memory_per_core')!
  t.same(mem.configs.map((c) => [c.key, c.current, c.suggested]), [['spark.executor.memory', '4g', '6g'], ['spark.executor.cores', '4', '3']])
})

const LOGS = EVENTLOGS

t.test('real logs', async (t) => {
  // its executor events carry 2023 timestamps in a 2021 app: damage, clamped, and the removal after the last job is teardown
  const lost = await analyseEventLog(path.join(LOGS, 'spark-rapids-tools/spark-events-qualification/cluster_information/eventlog_3nodes_12cores_exec_removed'))
  t.ok(lost.kpis.wallClockMs < 60_000, `wall clock ${lost.kpis.wallClockMs} ms, not 930 days`)
  t.match(lost.parse.damage.map((d) => d.message).join('\n'), /outside the application's span/)
  t.notOk(flag(lost, 'preemption_risk'))
  const yarn = await analyseEventLog(path.join(LOGS, 'spark/application_1538416563558_0014'))
  const loss = flag(yarn, 'executor_loss')
  t.ok(loss, 'YARN container failures are executor loss')
  t.notOk(flag(yarn, 'preemption_risk'))
  t.equal(loss!.metrics['tasksLost'], 8)
  const dyn = await analyseEventLog(path.join(LOGS, 'sparklint/application_1472176676028_407508_1'))
  t.notOk(flag(dyn, 'executor_loss'), 'dynamic-allocation scale-down is not a loss')
  t.notOk(flag(dyn, 'preemption_risk'))
})

const keys = (a: Analysis): string[] => a.recommendations.flatMap((r) => r.configs.map((c) => c.key))
const lostMidJob = (reason: string): Scenario => ({ ...healthy(), tasks: [...healthy().tasks, { launch: 20_000, dur: 5_000, lost: true, exec: '2' }], removed: { id: '2', at: 26_000, reason } })

t.test('exit 56 is a heartbeat loss, exit 137 a memory kill: memoryOverhead only for the latter', async (t) => {
  const hb = analyseText(log({ ...lostMidJob('Container marked as failed: container_1 on host: h2. Exit status: 56. Diagnostics: Exception from container-launch.'), appMs: 30_000 }))
  t.match(flag(hb, 'executor_loss')!.evidence[0], /^root cause: exit 56: the executor could not heartbeat/)
  t.equal(flag(hb, 'executor_loss')!.metrics['memoryKills'], 0)
  t.notOk(keys(hb).includes('spark.executor.memoryOverhead'))
  const oom = analyseText(log({ ...lostMidJob('Container marked as failed: container_1 on host: h2. Exit status: 137. Diagnostics: Container killed on request.'), appMs: 30_000 }))
  t.equal(flag(oom, 'executor_loss')!.severity === 'info' ? 'info' : 'raised', 'raised')
  t.ok(keys(oom).includes('spark.executor.memoryOverhead'))
  t.ok(oom.rootCauses!.some((r) => r.kind === 'executor_container_memory_kill'))
})

t.test('memory-only spill (Spark 1.x, GPU spill) is spill', async (t) => {
  const a = analyseText(log({ appMs: 10_000, version: '1.6.1', tasks: tasks(4, () => ({ launch: 0, dur: 5_000, shuffleRead: 500 * MB, disk: 0, mem: 2048 * MB })) }))
  const f = flag(a, 'disk_spill')!
  t.ok(f, 'raised without disk bytes')
  t.equal(f.metrics['memoryBytesSpilled'], 4 * 2048 * MB)
  // one wave of 4 tasks on 8 cores: per task 2 × 512 MB to disk and back at 100 MB/s, and 2 × 2 GiB (de)serialised at 100 MB/s
  t.equal(f.impactMs, Math.min(5_000, Math.round((2 * 512 * MB / (100 * 1024) + 2 * 2048 * MB / (100 * 1024)))))
  // a GPU spills device buffers to host memory: no serialisation cost
  const gpu = analyseText(log({ appMs: 600_000, version: '3.3.1', props: { 'spark.plugins': 'com.nvidia.spark.SQLPlugin' }, tasks: tasks(4, () => ({ launch: 0, dur: 300_000, shuffleRead: 500 * MB, disk: 0, mem: 2048 * MB })) }))
  t.equal(flag(gpu, 'disk_spill')!.impactMs, Math.round(2 * 512 * MB / (100 * 1024)))
  t.match(flag(gpu, 'disk_spill')!.evidence[0], /GPU spill/)
})

t.test('Spark 1.5 skew gets no AQE keys; stragglers get speculation, not AQE', async (t) => {
  const skewed = analyseText(log({ ...cases.find((c) => c.id === 'skew')!.raise, version: '1.5.2' }))
  t.ok(flag(skewed, 'skew'))
  t.notOk(keys(skewed).some((k) => k.startsWith('spark.sql.adaptive.')), 'no AQE before Spark 3.0')
  const on3 = analyseText(log(cases.find((c) => c.id === 'skew')!.raise))
  t.ok(keys(on3).includes('spark.sql.adaptive.skewJoin.enabled') === false || on3.environment.sparkProperties.length > 0)
  const slow = analyseText(log(cases.find((c) => c.id === 'stragglers')!.raise))
  t.notOk(keys(slow).some((k) => k.startsWith('spark.sql.adaptive.')))
})

t.test('local mode: severity capped at warning, no resource configs', async (t) => {
  const a = analyseText(log({ ...cases.find((c) => c.id === 'high_gc')!.raise, appMs: 600_000, props: { 'spark.master': 'local[8]' } }))
  t.ok(a.flags.length > 0)
  t.ok(a.flags.every((f) => f.severity !== 'critical'), 'no critical in local mode')
  t.notOk(keys(a).some((k) => /^spark\.(executor\.|dynamicAllocation\.)/.test(k)))
})

t.test('Databricks: no dynamicAllocation.*, cluster sizing as cluster fields', async (t) => {
  const dbx = { 'spark.databricks.clusterUsageTags.clusterWorkers': '2', 'spark.databricks.clusterUsageTags.clusterScalingType': 'fixed_size', 'spark.databricks.clusterUsageTags.clusterNodeType': 'm6gd.2xlarge', 'spark.dynamicAllocation.enabled': 'true' }
  const idle = analyseText(log({ ...cases.find((c) => c.id === 'idle_cores')!.raise, props: dbx }))
  t.notOk(keys(idle).some((k) => k.startsWith('spark.dynamicAllocation.')))
  const sat = analyseText(log({ ...cases.find((c) => c.id === 'capacity_bound')!.raise, props: dbx }))
  const more = sat.recommendations.find((r) => r.id === 'more_cores')
  t.same(more?.configs.map((c) => [c.key, c.current, c.suggested]), [['cluster.num_workers', '2', '4']])
})

t.test('advice goes the way its text says and names each key once', async (t) => {
  const infra = analyseText(log({ ...cases.find((c) => c.id === 'infrastructure_bottleneck')!.raise, props: { 'spark.locality.wait': '0' } }))
  t.notOk(keys(infra).includes('spark.locality.wait'), 'never raised from 0')
  const infra3 = analyseText(log(cases.find((c) => c.id === 'infrastructure_bottleneck')!.raise))
  const lw = infra3.recommendations.flatMap((r) => r.configs).find((c) => c.key === 'spark.locality.wait')
  t.equal(lw?.suggested, '0', 'lowered from the 3 s default')
  const tiny = analyseText(log({ ...cases.find((c) => c.id === 'over_partitioning')!.raise, props: { 'spark.sql.shuffle.partitions': '64' } }))
  for (const c of tiny.recommendations.flatMap((r) => r.configs)) if (c.key === 'spark.sql.shuffle.partitions') t.ok(Number(c.suggested) < 64, 'fewer is below today')
  const all = [infra3, tiny].flatMap((a) => [keys(a)])
  for (const k of all) t.equal(new Set(k).size, k.length, 'one value per key')
})

t.test('what-if and usage', async (t) => {
  const a = analyseText(log(cases.find((c) => c.id === 'capacity_bound')!.raise))
  const w = a.whatIf!
  t.ok(w, 'computed')
  t.same(w.points.map((p) => p.factor), [0.5, 1, 2, 4])
  const at = (f: number): number => w.points.find((p) => p.factor === f)!.wallClockMs
  t.ok(at(0.5) > at(1) && at(1) > at(2) && at(2) >= at(4), 'more cores, less time')
  t.ok(w.criticalPathMs <= at(4), 'the critical path bounds every estimate')
  t.equal(w.coresToday, 8)
  t.ok(a.usage!.heldCoreHours >= a.usage!.busyCoreHours)
  t.equal(a.usage!.workerNodes, 2)
})
