import t from 'tap'
import { analyseText } from '../../src/spark/analyse.js'
import type { Analysis, StageData } from '../../src/spark/analysis-types.js'
import { chartData, stageBars, MAX_TIMELINE_POINTS, MAX_STAGE_BARS, TOP_STAGE_BARS } from '../../src/dashboard/chart-data.js'
import { downsample } from '../../src/shared/downsample.js'
import { dashboardView, executorAnchor, kpiCards } from '../../src/dashboard/dashboard-view.js'
import { compareRows } from '../../src/dashboard/compare.js'

const START = 1_700_000_000_000

/** A small real analysis (one job, one stage, two tasks) to vary. */
function baseAnalysis (): Analysis {
  const ev = (o: object): string => JSON.stringify(o)
  const task = (id: number, exec: string, launch: number, finish: number): string => ev({
    Event: 'SparkListenerTaskEnd',
    'Stage ID': 0,
    'Stage Attempt ID': 0,
    'Task Type': 'ResultTask',
    'Task End Reason': { Reason: 'Success' },
    'Task Info': { 'Task ID': id, Index: id, Attempt: 0, 'Launch Time': launch, 'Executor ID': exec, Host: 'h', Locality: 'PROCESS_LOCAL', Speculative: false, 'Getting Result Time': 0, 'Finish Time': finish, Failed: false, Killed: false, Accumulables: [] },
    'Task Metrics': { 'Executor Deserialize Time': 5, 'Executor Deserialize CPU Time': 1, 'Executor Run Time': finish - launch - 10, 'Executor CPU Time': 1, 'Result Size': 10, 'JVM GC Time': 3, 'Result Serialization Time': 1, 'Memory Bytes Spilled': 0, 'Disk Bytes Spilled': 0, 'Input Metrics': { 'Bytes Read': 1000, 'Records Read': 10 } }
  })
  const lines = [
    ev({ Event: 'SparkListenerLogStart', 'Spark Version': '3.5.0' }),
    ev({ Event: 'SparkListenerApplicationStart', 'App Name': 'synthetic', 'App ID': 'app-1', Timestamp: START, User: 'u' }),
    ev({ Event: 'SparkListenerExecutorAdded', Timestamp: START + 100, 'Executor ID': '1', 'Executor Info': { Host: 'h', 'Total Cores': 4, 'Log Urls': {} } }),
    ev({ Event: 'SparkListenerJobStart', 'Job ID': 0, 'Submission Time': START + 200, 'Stage Infos': [{ 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'count', 'Number of Tasks': 2, 'RDD Info': [], 'Parent IDs': [], Details: '', Accumulables: [] }], 'Stage IDs': [0], Properties: {} }),
    ev({ Event: 'SparkListenerStageSubmitted', 'Stage Info': { 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'count', 'Number of Tasks': 2, 'RDD Info': [], 'Parent IDs': [], Details: '', 'Submission Time': START + 210, Accumulables: [] }, Properties: {} }),
    task(0, '1', START + 300, START + 1300),
    task(1, '1', START + 300, START + 1500),
    ev({ Event: 'SparkListenerStageCompleted', 'Stage Info': { 'Stage ID': 0, 'Stage Attempt ID': 0, 'Stage Name': 'count', 'Number of Tasks': 2, 'RDD Info': [], 'Parent IDs': [], Details: '', 'Submission Time': START + 210, 'Completion Time': START + 1600, Accumulables: [] } }),
    ev({ Event: 'SparkListenerJobEnd', 'Job ID': 0, 'Completion Time': START + 1700, 'Job Result': { Result: 'JobSucceeded' } }),
    ev({ Event: 'SparkListenerExecutorRemoved', Timestamp: START + 1800, 'Executor ID': '1', 'Removed Reason': 'Worker lost: node 10.0.0.1 went away' }),
    ev({ Event: 'SparkListenerApplicationEnd', Timestamp: START + 2000 })
  ]
  return analyseText(lines.join('\n') + '\n')
}

t.test('downsample keeps the ends, the steps and the extremes', async (t) => {
  t.same(downsample([{ t: 0, v: 1 }], 10, (p) => p.t, [(p) => p.v]), [{ t: 0, v: 1 }], 'short series untouched')
  // 20,000 points of noise with one spike and one dip
  const pts = Array.from({ length: 20_000 }, (_, i) => ({ t: i * 100, v: 10 + ((i * 7919) % 13) }))
  pts[12_345]!.v = 500
  pts[777]!.v = -3
  const out = downsample(pts, MAX_TIMELINE_POINTS, (p) => p.t, [(p) => p.v])
  t.ok(out.length <= MAX_TIMELINE_POINTS, `${out.length} points`)
  t.ok(out.length > MAX_TIMELINE_POINTS / 2, 'uses its budget')
  t.equal(out[0], pts[0])
  t.equal(out.at(-1), pts.at(-1))
  t.ok(out.includes(pts[12_345]!), 'the peak survives')
  t.ok(out.includes(pts[777]!), 'the dip survives')
  t.ok(out.every((p, i) => i === 0 || p.t > out[i - 1]!.t), 'time order kept')
  // a step function: every change of value is kept when the budget allows
  const steps = Array.from({ length: 10_000 }, (_, i) => ({ t: i, v: Math.floor(i / 2500) }))
  const s = downsample(steps, 400, (p) => p.t, [(p) => p.v])
  for (const edge of [2500, 5000, 7500]) t.ok(s.some((p) => p.t === edge), `step at ${edge} kept`)
})

t.test('1,200 stages and 15,000 timeline points stay drawable', async (t) => {
  const a = baseAnalysis()
  const proto = a.stages[0]!
  a.stages = Array.from({ length: 1200 }, (_, i): StageData => ({ ...proto, stageId: i, executorRunTime: (i % 97) * 1000 + (i === 1100 ? 10_000_000 : 0), jvmGcTime: 10, numTasks: 4, numCompleteTasks: 4 }))
  a.timeline.busy = { start: START, bucketMs: 10, busyCores: Array.from({ length: 15_000 }, (_, i) => (i % 50 === 0 ? 4 : 1)) }
  a.timeline.executors = Array.from({ length: 15_000 }, (_, i) => ({ time: START + i * 10, executors: 1 + (i % 3), cores: 4 * (1 + (i % 3)) }))
  const d = chartData(a)
  t.ok(d.timeline.busy.length <= MAX_TIMELINE_POINTS)
  t.ok(d.timeline.executors.length <= MAX_TIMELINE_POINTS)
  t.same(d.timeline.sampled.busy[0], 15_000)
  t.equal(Math.max(...d.timeline.busy.map((p) => p.cores)), 4, 'busy peaks kept')
  t.equal(d.stages.rows.length, TOP_STAGE_BARS + 1)
  t.equal(d.stages.grouped, 1200 - TOP_STAGE_BARS)
  t.ok(d.stages.rows.some((r) => r.stageId === 1100), 'the longest stage is drawn')
  const kept = d.stages.rows.slice(0, -1).map((r) => r.stageId!)
  t.same(kept, [...kept].sort((x, y) => x - y), 'kept stages in stage order')
  const other = d.stages.rows.at(-1)!
  const total = (rows: typeof d.stages.rows): number => rows.reduce((s, r) => s + r.computeMs + r.gcMs, 0)
  t.equal(total(d.stages.rows), total(stageBars(a.stages).rows), 'grouping keeps the sums')
  t.equal(other.count, 1200 - TOP_STAGE_BARS)
  t.ok(JSON.stringify(d).length < 600_000, `JSON stays small (${JSON.stringify(d).length} bytes)`)
  t.equal(stageBars(a.stages.slice(0, MAX_STAGE_BARS)).grouped, 0, 'up to 200 stages all drawn')

  const v = dashboardView(a)
  t.ok(v.stages.limited)
  t.ok(v.stages.rows.length <= 40 + a.flags.length * 20)
  t.equal(dashboardView(a, { allStages: true }).stages.rows.length, 1200)
})

t.test('the small analysis: markers with reasons, relative times, flags and evidence links', async (t) => {
  const a = baseAnalysis()
  const d = chartData(a)
  t.equal(d.origin, START)
  t.same(d.timeline.markers.map((m) => [m.kind, m.t, m.reason]), [['added', 100, null], ['removed', 1800, 'Worker lost: node 10.0.0.1 went away']])
  const v = dashboardView(a)
  t.equal(v.appName, 'synthetic')
  t.equal(v.notices.length, 0, 'a complete log has no notice')
  const pre = v.flags.find((f) => f.id === 'preemption_risk')
  if (pre !== undefined) t.same(pre.executors, [{ id: '1', href: '#executor-1' }])
  t.equal(v.executors.rows[0]!.removeReason, 'Worker lost: node 10.0.0.1 went away')
  t.equal(executorAnchor('driver'), 'executor-driver')
  t.equal(executorAnchor('a b"<'), 'executor-a_20_b_22__3c_')
})

t.test('overlapping flag impacts are said not to be additive, with their sum when it exceeds the run', async (t) => {
  const a = baseAnalysis()
  const wall = a.kpis.wallClockMs
  const flag = (id: 'failed_tasks' | 'huge_partitions' | 'idle_cores', impactMs: number) => ({ id, severity: 'warning' as const, title: id, impactMs, impactShare: impactMs / wall, evidence: [], metrics: {}, recommendationIds: [] })
  a.flags = [flag('failed_tasks', wall), flag('huge_partitions', Math.round(wall * 0.6)), flag('idle_cores', 0)]
  t.match(dashboardView(a).impactOverlap, /^These impacts overlap, so they are not additive: together they come to ~.+, more than the .+ run\./)
  a.flags = [flag('failed_tasks', Math.round(wall * 0.3)), flag('huge_partitions', Math.round(wall * 0.2))]
  t.equal(dashboardView(a).impactOverlap, 'These impacts overlap, so they are not additive. Each estimates what one cause cost on its own, and causes share the same minutes.', 'within the wall clock: no sum')
  a.flags = [flag('failed_tasks', wall), flag('idle_cores', 0)]
  t.equal(dashboardView(a).impactOverlap, null, 'one impact: nothing to add up')
})

t.test('zero tasks, truncated and damaged logs', async (t) => {
  const ev = (o: object): string => JSON.stringify(o)
  const empty = analyseText([
    ev({ Event: 'SparkListenerLogStart', 'Spark Version': '3.5.0' }),
    ev({ Event: 'SparkListenerApplicationStart', 'App Name': 'idle', 'App ID': 'app-2', Timestamp: START, User: 'u' }),
    '{"Event":"SparkListenerJobStart","Job ID":0,"Submission Ti'
  ].join('\n'))
  const v = dashboardView(empty)
  t.ok(v.zeroTasks)
  t.ok(v.notices.some((n) => n.level === 'warn' && /cut/.test(n.text)), 'truncated tail said')
  const d = chartData(empty)
  t.same(d.stages.rows, [])
  t.equal(kpiCards(empty).find((k) => k.id === 'failed-tasks')!.value, '0')

  const damaged = baseAnalysis()
  damaged.parse.damage = [{ part: 'eventlog-2021-01-01--00-00.gz', afterBytes: 2048, message: 'unexpected end of gzip stream' }]
  damaged.parse.badLines = { count: 2, first: [{ part: 0, line: 7, reason: 'not JSON' }, { part: 0, line: 9, reason: 'not JSON' }] }
  const texts = dashboardView(damaged).notices.map((n) => n.text).join('\n')
  t.match(texts, /eventlog-2021-01-01--00-00\.gz is damaged after 2\.0 KiB/)
  t.match(texts, /2 lines were not valid events/)
})

t.test('compare: deltas and verdicts from B\'s side', async (t) => {
  const a = baseAnalysis()
  const b = baseAnalysis()
  b.kpis = { ...b.kpis, wallClockMs: a.kpis.wallClockMs * 2, failedTasks: 3, gcPercent: a.kpis.gcPercent, coreUtilisation: null }
  const rows = Object.fromEntries(compareRows(a, b).map((r) => [r.id, r]))
  t.match(rows['wall-clock'], { verdict: 'worse', ratio: 1, delta: '+2.0s' })
  t.match(rows['failed-tasks'], { verdict: 'worse', delta: '+3', ratio: null })
  t.match(rows.gc, { verdict: 'same', delta: '±0.0 pt' })
  t.match(rows['core-utilisation'], { verdict: 'neutral', delta: null, b: '–' })
  t.match(rows.tasks, { verdict: 'neutral' })
})
