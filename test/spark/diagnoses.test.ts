// Issue 10's judgements on named fixtures, as a regression set: for each, the flags that must and must not be raised
// and the advice that must not appear (see docs/diagnoses.md for the whole table).
import path from 'node:path'
import t, { type Test } from 'tap'
import { analyseEventLog } from '../../src/spark/analyse.js'
import type { Analysis, FlagId } from '../../src/spark/analysis-types.js'
import { EVENTLOGS } from '../helper-fixtures.js'
import { impactOverlapText } from '../../src/shared/format.js'

const QUAL = 'spark-rapids-tools/spark-events-qualification'
const PROF = 'spark-rapids-tools/spark-events-profiling'
const keys = (a: Analysis): string[] => a.recommendations.flatMap((r) => r.configs.map((c) => c.key))
const configs = (a: Analysis) => a.recommendations.flatMap((r) => r.configs)
const raised = (a: Analysis, id: FlagId) => a.flags.find((f) => f.id === id)

interface Case { log: string; must?: FlagId[]; mustNot?: FlagId[]; notCritical?: FlagId[]; noKeys?: RegExp; check?: (t: Test, a: Analysis) => void }
const cases: Case[] = [
  {
    // 16 of 16 cores busy while stages queued: saturated, not infrastructure; executor removed 16 s after the last job: teardown
    log: `${QUAL}/nds_q88_photon_db_13_3.zstd`,
    must: ['capacity_bound'],
    mustNot: ['infrastructure_bottleneck', 'preemption_risk', 'over_partitioning'],
    noKeys: /^spark\.dynamicAllocation\./,
  },
  {
    // compute was once "−64.3 s"; GPU OOM is the root cause; 221 GB of (GPU) memory spill is spill
    log: `${PROF}/gpu_oom_eventlog.zstd`,
    must: ['failed_tasks', 'disk_spill'],
    check: (t, a) => {
      t.notOk(a.flags.some((f) => f.evidence.some((e) => /compute -|−\d/.test(e))), 'no negative compute')
      t.match(raised(a, 'failed_tasks')!.evidence[0], /^root cause: GPU out of memory/)
      t.notOk(raised(a, 'failed_tasks')!.evidence[0]!.includes('SparkContext was shut down'))
      // its impacts sum beyond the wall clock (the failed run's whole time includes the huge partitions' stage): said so
      t.ok(a.flags.reduce((x, f) => x + (f.impactMs ?? 0), 0) > a.kpis.wallClockMs)
      t.match(impactOverlapText(a.flags.map((f) => f.impactMs), a.kpis.wallClockMs), /not additive: together they come to ~.+, more than the 2\.3 min run/)
    },
  },
  {
    // delay from ExecutorLostFailure tasks without metrics counts 0; exit 56 is a heartbeat loss, not memory
    log: 'spark/application_1538416563558_0014',
    must: ['executor_loss'],
    mustNot: ['infrastructure_bottleneck'],
    noKeys: /^spark\.executor\.memoryOverhead$/,
    check: (t, a) => t.match(raised(a, 'executor_loss')!.evidence[0], /^root cause: exit 56/),
  },
  { log: `${PROF}/tasks_executors_fail_compressed_eventlog.zstd`, mustNot: ['infrastructure_bottleneck'] },
  ...[1, 2, 3, 4].map((n) => ({ log: `${QUAL}/multiple_attempts/attempt_${n}_eventlog.zstd`, mustNot: ['infrastructure_bottleneck' as FlagId], must: ['skew' as FlagId] })),
  { log: `${QUAL}/xgboost_eventlog.zstd`, mustNot: ['over_partitioning', 'high_gc'], noKeys: /^spark\.dynamicAllocation\./ },
  { log: `${PROF}/nds_q66_cpu.zstd`, notCritical: ['high_gc'] },
  { log: `${PROF}/nds_q66_gpu.zstd`, notCritical: ['high_gc'] },
  { log: 'delight/example_spark_event_log.txt', mustNot: ['over_partitioning'] },
  {
    // the slow tasks read the same 128 MB as the others: stragglers, and Spark 1.5 has no AQE
    log: 'sparklint/event_log_0',
    must: ['stragglers'],
    mustNot: ['skew'],
    noKeys: /^spark\.sql\.adaptive\./,
  },
  {
    // 227 GiB of memory-only spill (Spark 1.6 reports no disk bytes) in stage 1's single wave of 40 tasks, 18 of the
    // app's 42.5 min: every second a task spends spilling is wall clock. Serialising 5.7 GiB of records per task and
    // writing/reading ~1.4 GiB back costs ~2.5 min (6 %): a warning, not the info it was when only the disk round
    // trip was counted. huge_partitions stays the critical: more partitions fix the idle cores and the spill at once.
    log: 'sparklint/application_1472176676028_407508_1',
    must: ['disk_spill', 'huge_partitions'],
    noKeys: /^spark\.sql\.adaptive\./,
    check: (t, a) => {
      t.equal(raised(a, 'disk_spill')!.severity, 'warning')
      t.ok(raised(a, 'disk_spill')!.impactMs! > 0.05 * a.kpis.wallClockMs)
      t.equal(raised(a, 'huge_partitions')!.severity, 'critical')
    },
  },
  {
    // executor timestamps from 2023 in a 2021 app: damage, not a 930-day wall clock
    log: `${QUAL}/cluster_information/eventlog_3nodes_12cores_exec_removed`,
    mustNot: ['preemption_risk', 'idle_cores'],
    check: (t, a) => {
      t.ok(a.kpis.wallClockMs < 60_000)
      t.match(a.parse.damage.map((d) => d.message).join('\n'), /outside the application's span/)
    },
  },
  { log: `${QUAL}/aqeshuffle_eventlog.zstd`, notCritical: ['disk_spill'], noKeys: /^spark\.(executor\.|dynamicAllocation\.)/ },
  // Time with no job running: the driver busy (driver_bound) or an interactive session idle (idle_session, a cost,
  // never critical). Each of these raised a critical driver_bound before the two were told apart:
  // a Spark shell ran one 1.7 s job, then stayed open 9.3 min
  ...idle('compass/eventlog'),
  // a Spark shell ran one 4.5 s query and sat open 5.7 min with a 16-core executor
  ...idle('spark/app-20200706201101-0003'),
  // a Spark shell: 2.6 min before its only job (no query open), 5.2 min open after it
  ...idle('spark/application_1516285256255_0012'),
  // a Spark shell: 1.7 min before its only job, 32 s after
  ...idle('spark/application_1578436911597_0052'),
  // a Spark shell on YARN: 3 min before its only job, 33 s after
  ...idle('spark/application_1628109047826_1317105'),
  // a Spark shell's five `count at <console>` queries; the pauses between them had no SQL execution open
  ...idle(`${QUAL}/cluster_information/eventlog_4nodes_8cores_dynamic_alloc.zstd`),
  // a Spark shell on Databricks: minutes between `show at <console>` commands; auto-termination advised (Databricks)
  ...idle(`${QUAL}/cluster_information/platform/databricks-aws`, (t, a) => t.ok(configs(a).some((c) => c.key === 'cluster.autotermination_minutes' && c.suggested === '30'))),
  // a Spark shell: no query was open in the 7.6 min before the JDBC `show`: the user, not JDBC on the driver
  ...idle(`${QUAL}/jdbc_eventlog.zstd`),
  // a notebook on an all-purpose cluster: the 6.7 min gap lies between two notebook commands (different job groups)
  ...idle(`${QUAL}/xgboost_eventlog.zstd`, (t, a) => t.match(configs(a).find((c) => c.key === 'cluster.autotermination_minutes'), { current: '180', suggested: '30' })),
  // `count at <console>:22` jobs: a Spark 1.5 shell; its user paused 1.7 min and 52 s (its straggler critical is above)
  ...idle('sparklint/event_log_0'),
  {
    // a batch Java application: 1.1 min of driver code before the first job and 14 s after the last: driver busy, critical
    log: 'sparklint/eventLogs-application_1489705648216_1600.zip',
    must: ['driver_bound'],
    mustNot: ['idle_session'],
    check: (t, a) => {
      t.equal(raised(a, 'driver_bound')!.severity, 'critical')
      t.match(raised(a, 'driver_bound')!.evidence.join('\n'), /before the first job: start-up and driver code/)
    },
  },
]

/** An interactive session that waited: idle_session (a warning with no wall-clock impact), no driver_bound. */
function idle (log: string, check?: Case['check']): Case[] {
  return [{
    log,
    must: ['idle_session'],
    mustNot: ['driver_bound'],
    check: (t, a) => {
      const f = raised(a, 'idle_session')!
      t.equal(f.severity, 'warning', 'an idle session is a cost, not why the run is slow')
      t.equal(f.impactMs, 0, 'no wall-clock impact')
      t.ok(f.metrics['idleMs']! >= 0.3 * a.kpis.wallClockMs)
      t.ok(a.recommendations.some((r) => r.id === 'stop_idle_session'))
      check?.(t, a)
    },
  }]
}

for (const c of cases) {
  t.test(c.log, async (t) => {
    const a = await analyseEventLog(path.join(EVENTLOGS, c.log))
    for (const id of c.must ?? []) t.ok(raised(a, id), `${id} raised`)
    for (const id of c.mustNot ?? []) t.notOk(raised(a, id), `${id} not raised`)
    for (const id of c.notCritical ?? []) t.not(raised(a, id)?.severity, 'critical', `${id} not critical`)
    if (c.noKeys) t.same(keys(a).filter((k) => c.noKeys!.test(k)), [], `no ${c.noKeys}`)
    // advice everywhere: locality wait only lowered, partition counts in the direction of their advice, one value per key
    for (const x of configs(a)) {
      if (x.key === 'spark.locality.wait') t.equal(x.suggested, '0')
    }
    for (const r of a.recommendations) {
      const p = r.configs.find((x) => x.key === 'spark.sql.shuffle.partitions')
      const cur = Number(p?.current ?? 200)
      if (p && r.id === 'more_shuffle_partitions') t.ok(Number(p.suggested) > cur, `more partitions: ${p.suggested} > ${cur}`)
      if (p && r.id === 'fewer_shuffle_partitions') t.ok(Number(p.suggested) < cur, `fewer partitions: ${p.suggested} < ${cur}`)
    }
    t.equal(new Set(keys(a)).size, keys(a).length, 'one value per key')
    for (const f of a.flags) t.ok(f.impactMs! >= 0 && f.impactShare! <= 1, `${f.id} impact in range`)
    c.check?.(t, a)
  })
}
