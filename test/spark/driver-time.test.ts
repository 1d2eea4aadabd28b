// The time with no job running, told apart: the driver busy (driver_bound, wall clock the run waits for) or an
// interactive session idle (idle_session, a cost and never above warning). Synthetic logs for each signal the rule
// reads: batch vs shell, a SQL execution open across a gap, a Databricks notebook command spanning a gap.
import t from 'tap'
import { analyseText } from '../../src/spark/analyse.js'
import { driverTime } from '../../src/spark/driver-time.js'
import type { Analysis } from '../../src/spark/analysis-types.js'

const T0 = 1_700_000_000_000
const MIN = 60_000

interface Job { at: number; ms: number; group?: string; sql?: number; name?: string }
interface App { name: string; appMs: number; jobs: Job[]; sql?: { id: number; from: number; to: number }[]; props?: Record<string, string> }

/** An application of 2 executors × 4 cores whose jobs each run one 4-core-wide stage for their whole span. */
function log (app: App): string {
  const lines: unknown[] = [
    { Event: 'SparkListenerLogStart', 'Spark Version': '3.5.0' },
    { Event: 'SparkListenerApplicationStart', 'App Name': app.name, 'App ID': 'app-1', Timestamp: T0, User: 'u' },
    { Event: 'SparkListenerEnvironmentUpdate', 'Spark Properties': { 'spark.master': 'yarn', 'spark.executor.cores': '4', ...app.props } },
    ...['1', '2'].map((id) => ({ Event: 'SparkListenerExecutorAdded', Timestamp: T0, 'Executor ID': id, 'Executor Info': { Host: `h${id}`, 'Total Cores': 4 } })),
  ]
  const events: { t: number; e: unknown }[] = []
  for (const q of app.sql ?? []) {
    events.push({ t: q.from, e: { Event: 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart', executionId: q.id, description: `query ${q.id}`, details: '', physicalPlanDescription: '', time: T0 + q.from } })
    events.push({ t: q.to, e: { Event: 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd', executionId: q.id, time: T0 + q.to } })
  }
  app.jobs.forEach((j, id) => {
    const info = { 'Stage ID': id, 'Stage Attempt ID': 0, 'Stage Name': j.name ?? `collect at Etl.scala:${id}`, 'Number of Tasks': 1, 'Parent IDs': [] }
    const props: Record<string, string> = { ...(j.group !== undefined ? { 'spark.jobGroup.id': j.group } : {}), ...(j.sql !== undefined ? { 'spark.sql.execution.id': String(j.sql) } : {}) }
    events.push({ t: j.at, e: { Event: 'SparkListenerJobStart', 'Job ID': id, 'Submission Time': T0 + j.at, 'Stage Infos': [info], 'Stage IDs': [id], Properties: props } })
    events.push({ t: j.at, e: { Event: 'SparkListenerStageSubmitted', 'Stage Info': { ...info, 'Submission Time': T0 + j.at } } })
    events.push({ t: j.at + j.ms, e: { Event: 'SparkListenerStageCompleted', 'Stage Info': { ...info, 'Submission Time': T0 + j.at, 'Completion Time': T0 + j.at + j.ms } } })
    events.push({ t: j.at + j.ms, e: { Event: 'SparkListenerJobEnd', 'Job ID': id, 'Completion Time': T0 + j.at + j.ms, 'Job Result': { Result: 'JobSucceeded' } } })
  })
  events.sort((x, y) => x.t - y.t)
  lines.push(...events.map((x) => x.e), { Event: 'SparkListenerApplicationEnd', Timestamp: T0 + app.appMs })
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
}

const flag = (a: Analysis, id: string) => a.flags.find((f) => f.id === id)
// two 20 s jobs 4 min apart in a 5 min run: 4.3 min of it with no job running
const twoJobs = (extra: Partial<Job> = {}, second: Partial<Job> = {}): Job[] => [{ at: 10_000, ms: 20_000, ...extra }, { at: 270_000, ms: 20_000, ...extra, ...second }]

t.test('a batch application: the gaps are the driver working, driver_bound with their time as impact', async (t) => {
  const a = analyseText(log({ name: 'nightly-etl', appMs: 5 * MIN, jobs: twoJobs() }))
  const f = flag(a, 'driver_bound')!
  t.ok(f, 'driver_bound raised')
  t.equal(f.severity, 'critical', '87 % of the wall clock')
  t.equal(f.impactMs, 10_000 + 240_000 + 10_000)
  t.match(f.evidence.join('\n'), /between jobs: driver code/)
  t.notOk(flag(a, 'idle_session'))
  t.equal(driverTime(a).interactive, null)
})

t.test('the same timeline in a Spark shell: the session waited, idle_session (warning, no impact), no driver_bound', async (t) => {
  const a = analyseText(log({ name: 'Spark shell', appMs: 5 * MIN, jobs: twoJobs() }))
  t.notOk(flag(a, 'driver_bound'), 'a waiting shell is not why the run is slow')
  const f = flag(a, 'idle_session')!
  t.equal(f.severity, 'warning')
  t.equal(f.impactMs, 0)
  t.equal(f.metrics['idleMs'], 260_000)
  t.equal(f.metrics['heldCoreMs'], 260_000 * 8, '8 cores held through the wait')
  t.match(f.evidence.join('\n'), /between jobs, outside any query: the session waited/)
  t.match(f.evidence.join('\n'), /held idle for 4m 20s with ~8 executor cores/)
  t.ok(a.recommendations.some((r) => r.id === 'stop_idle_session'))
  t.notOk(flag(a, 'idle_cores'), 'the idle core time is the session\'s, not a cluster too big for the work')
})

t.test('a shell is also known by its REPL call sites, whatever the application is called', async (t) => {
  const a = analyseText(log({ name: 'MyAppName', appMs: 5 * MIN, jobs: twoJobs({ name: 'count at <console>:22' }) }))
  t.match(driverTime(a).interactive, /count at <console>:22/)
  t.ok(flag(a, 'idle_session'))
})

t.test('in a shell, a gap inside an open SQL execution is the driver working (planning, broadcast, results)', async (t) => {
  const a = analyseText(log({ name: 'Spark shell', appMs: 5 * MIN, jobs: twoJobs({ sql: 0 }), sql: [{ id: 0, from: 9_000, to: 291_000 }] }))
  const dt = driverTime(a)
  t.same(dt.segments.map((s) => [s.kind, s.start - T0, s.end - T0]), [
    ['idle', 0, 9_000], ['busy', 9_000, 10_000], ['busy', 30_000, 270_000], ['busy', 290_000, 291_000], ['idle', 291_000, 300_000],
  ])
  t.ok(flag(a, 'driver_bound'), 'driver_bound from the query\'s 4 min gap')
  t.equal(flag(a, 'driver_bound')!.impactMs, 242_000)
  t.notOk(flag(a, 'idle_session'), '18 s of waiting is below the idle floor')
})

t.test('on a Databricks all-purpose cluster, one notebook command across a gap is busy, two commands are idle', async (t) => {
  const props = { 'spark.databricks.clusterUsageTags.clusterCreator': 'Webapp', 'spark.databricks.clusterUsageTags.autoTerminationMinutes': '120' }
  const one = analyseText(log({ name: 'Databricks Shell', appMs: 5 * MIN, props, jobs: twoJobs({ group: '1_100_aa' }) }))
  t.ok(flag(one, 'driver_bound'), 'same job group on both sides: the command ran driver code')
  t.match(flag(one, 'driver_bound')!.evidence.join('\n'), /inside one notebook command/)
  const two = analyseText(log({ name: 'Databricks Shell', appMs: 5 * MIN, props, jobs: twoJobs({ group: '1_100_aa' }, { group: '1_200_bb' }) }))
  t.notOk(flag(two, 'driver_bound'))
  t.ok(flag(two, 'idle_session'), 'between two commands the notebook waited')
  const auto = two.recommendations.flatMap((r) => r.configs).find((c) => c.key === 'cluster.autotermination_minutes')
  t.match(auto, { current: '120', suggested: '30' }, 'auto-termination shortened from today\'s 120 min')
  t.notOk(two.recommendations.flatMap((r) => r.configs).some((c) => c.key.startsWith('spark.dynamicAllocation.')), 'no dynamic allocation advice on Databricks')
})

t.test('a Databricks job cluster is batch even though its driver is called Databricks Shell', async (t) => {
  const props = { 'spark.databricks.clusterUsageTags.clusterCreator': 'JobLauncher' }
  const a = analyseText(log({ name: 'Databricks Shell', appMs: 5 * MIN, props, jobs: twoJobs({ group: '1_100_aa' }, { group: '1_200_bb' }) }))
  t.equal(driverTime(a).interactive, null)
  t.ok(flag(a, 'driver_bound'))
  t.notOk(flag(a, 'idle_session'))
})

t.test('overlapping SQL executions count once, and executions outside every gap change nothing', async (t) => {
  const sql = [{ id: 0, from: 9_000, to: 150_000 }, { id: 1, from: 100_000, to: 291_000 }, { id: 2, from: 12_000, to: 20_000 }]
  const a = analyseText(log({ name: 'Spark shell', appMs: 5 * MIN, jobs: twoJobs({ sql: 0 }), sql }))
  t.same(driverTime(a).segments.map((s) => [s.kind, s.start - T0, s.end - T0]), [
    ['idle', 0, 9_000], ['busy', 9_000, 10_000], ['busy', 30_000, 270_000], ['busy', 290_000, 291_000], ['idle', 291_000, 300_000],
  ])
  t.equal(driverTime(a).busyMs, 242_000)
})
