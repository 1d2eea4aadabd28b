import t from 'tap'
import { join } from 'node:path'
import { aggregateTimings, decomposePair, decomposeSide, dbxTiming, median, sparkTiming, type DbxTiming, type SparkTiming } from '../../src/flows/decompose.js'
import type { DbxDetails } from '../../src/databricks/dbx-details.js'
import type { Analysis } from '../../src/spark/analysis-types.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { makeRun } from '../helper-runs.js'
import { EVENTLOGS } from '../helper-fixtures.js'

const MIN = 60_000
const aacRun = (o: Parameters<typeof makeRun>[0] extends infer P ? Partial<P> : never = {}) => makeRun({ platform: 'aac', jobGroupId: 1, submittedAt: '2026-01-01T10:00:00Z', queueMs: 10_000, runMs: 20 * MIN, databricksRunId: '900', ...o })
const onpremRun = (o: Parameters<typeof makeRun>[0] extends infer P ? Partial<P> : never = {}) => makeRun({ platform: 'onprem', jobGroupId: 2, submittedAt: '2026-01-01T10:01:00Z', queueMs: 5_000, runMs: 14 * MIN, ...o })
const dbx: DbxTiming = { setupMs: 5 * MIN, executionMs: 14 * MIN, cleanupMs: 20_000, clusterStartMs: 4.5 * MIN }
const spark = (jobsMs: number): SparkTiming => ({ appMs: jobsMs + MIN, jobsMs, jobs: 3, partial: false })
const ms = (side: ReturnType<typeof decomposeSide>) => Object.fromEntries(side.parts.map((p) => [p.id, p.ms]))

t.test('side parts, table-driven', async (t) => {
  const cases: { name: string, side: ReturnType<typeof decomposeSide>, want: Record<string, number | null>, execution: number | null }[] = [
    {
      name: 'AAC with Databricks details and an analysis: every part measured, they add up to the total',
      side: decomposeSide(aacRun(), { dbx, spark: spark(12 * MIN) }),
      want: { queue: 10_000, startup: 5 * MIN, driver: 2 * MIN, compute: 12 * MIN, cleanup: 20_000, other: 20 * MIN + 10_000 - 10_000 - 5 * MIN - 14 * MIN - 20_000 },
      execution: 14 * MIN
    },
    {
      name: 'AAC without an analysis: compute and driver unknown, execution known',
      side: decomposeSide(aacRun(), { dbx, spark: null }),
      want: { queue: 10_000, startup: 5 * MIN, driver: null, compute: null, cleanup: 20_000, other: 40_000 },
      execution: 14 * MIN
    },
    {
      name: 'AAC without Databricks details: only queue and compute',
      side: decomposeSide(aacRun(), { dbx: null, spark: spark(12 * MIN) }),
      want: { queue: 10_000, startup: null, driver: null, compute: 12 * MIN, cleanup: null, other: null },
      execution: null
    },
    {
      name: 'AAC not on Databricks',
      side: decomposeSide(aacRun({ databricksRunId: null }), { dbx: null, spark: null }),
      want: { queue: 10_000, startup: null, driver: null, compute: null, cleanup: null, other: null },
      execution: null
    },
    {
      name: 'AAC whose run reports no setup_duration: start-up from the cluster events',
      side: decomposeSide(aacRun(), { dbx: { ...dbx, setupMs: null }, spark: null }),
      want: { queue: 10_000, startup: 4.5 * MIN, driver: null, compute: null, cleanup: 20_000, other: 20 * MIN - 4.5 * MIN - 14 * MIN - 20_000 },
      execution: 14 * MIN
    },
    {
      name: 'AAC with neither setup_duration nor cluster events: start-up unknown, and so the overhead',
      side: decomposeSide(aacRun(), { dbx: { ...dbx, setupMs: null, clusterStartMs: null }, spark: null }),
      want: { queue: 10_000, startup: null, driver: null, compute: null, cleanup: 20_000, other: null },
      execution: 14 * MIN
    },
    {
      name: 'event log jobs longer than the execution: driver unknown, not negative',
      side: decomposeSide(aacRun(), { dbx, spark: spark(15 * MIN) }),
      want: { queue: 10_000, startup: 5 * MIN, driver: null, compute: 15 * MIN, cleanup: 20_000, other: 40_000 },
      execution: 14 * MIN
    },
    {
      name: 'on-prem with an analysis: standing cluster, no start-up or clean-up',
      side: decomposeSide(onpremRun(), { dbx: null, spark: spark(11 * MIN) }),
      want: { queue: 5_000, startup: 0, driver: 3 * MIN, compute: 11 * MIN, cleanup: 0, other: 0 },
      execution: 14 * MIN
    },
    {
      name: 'on-prem without job start times: the queue is inside the run, execution unknown',
      side: decomposeSide(onpremRun({ queueMs: null }), { dbx: null, spark: spark(11 * MIN) }),
      want: { queue: null, startup: 0, driver: null, compute: 11 * MIN, cleanup: 0, other: 0 },
      execution: null
    }
  ]
  for (const c of cases) {
    t.same(ms(c.side), c.want, c.name)
    t.equal(c.side.executionMs, c.execution, `${c.name}: execution`)
    for (const p of c.side.parts) t.ok(p.source.length > 0, `${c.name}: ${p.id} says where it comes from`)
  }
  const full = decomposeSide(aacRun(), { dbx, spark: spark(12 * MIN) })
  t.equal(full.parts.reduce((s, p) => s + (p.ms ?? 0), 0), full.totalMs, 'the parts of a fully measured run add up to its total')
})

t.test('pair deltas, table-driven', async (t) => {
  const full = (o = {}) => decomposeSide(aacRun(o), { dbx, spark: spark(12 * MIN) })
  const cases: { name: string, aac: ReturnType<typeof decomposeSide>, onprem: ReturnType<typeof decomposeSide>, deltas: [string, number][], unknown: string[], comparable: boolean, headline: RegExp }[] = [
    {
      name: 'both analysed: start-up first, then compute and driver (ties keep their order)',
      aac: full(),
      onprem: decomposeSide(onpremRun(), { dbx: null, spark: spark(11 * MIN) }),
      deltas: [['startup', 5 * MIN], ['compute', MIN], ['driver', -MIN], ['other', 40_000], ['cleanup', 20_000], ['queue', 5_000]],
      unknown: [],
      comparable: true,
      headline: /^\+5m 00s cluster start-up, \+1m 00s executor compute, −1m 00s driver-only time$/
    },
    {
      name: 'no analysis on the on-prem side: execution compared as a whole, driver and compute unknown',
      aac: full(),
      onprem: decomposeSide(onpremRun(), { dbx: null, spark: null }),
      deltas: [['startup', 5 * MIN], ['other', 40_000], ['cleanup', 20_000], ['queue', 5_000], ['execution', 0]],
      unknown: ['compute', 'driver'],
      comparable: true,
      headline: /^\+5m 00s cluster start-up, \+40s platform overhead, \+20s clean-up$/
    },
    {
      name: 'no analysis on either side and no Databricks details: the queue only',
      aac: decomposeSide(aacRun(), { dbx: null, spark: null }),
      onprem: decomposeSide(onpremRun(), { dbx: null, spark: null }),
      deltas: [['queue', 5_000]],
      unknown: ['startup', 'cleanup', 'other', 'compute', 'driver'],
      comparable: true,
      headline: /^\+5.0s queue \/ wait$/
    },
    {
      name: 'one side failed: not compared',
      aac: full({ status: 'Failed' }),
      onprem: decomposeSide(onpremRun(), { dbx: null, spark: spark(11 * MIN) }),
      deltas: [],
      unknown: [],
      comparable: false,
      headline: /not compared/
    }
  ]
  for (const c of cases) {
    const p = decomposePair(c.aac, c.onprem)
    t.same(p.deltas.map((d) => [d.id, d.deltaMs]), c.deltas, `${c.name}: deltas`)
    t.same(p.unknown, c.unknown, `${c.name}: unknown`)
    t.equal(p.comparable, c.comparable, `${c.name}: comparable`)
    t.match(p.headline, c.headline, `${c.name}: headline`)
  }
  const failed = decomposePair(full({ status: 'Failed' }), decomposeSide(onpremRun(), { dbx: null, spark: null }))
  t.match(failed.reason, /The AAC run did not complete \(Failed\)/)
})

t.test('aggregate: medians over comparable pairs, per part over the pairs that know it', async (t) => {
  const on = decomposeSide(onpremRun(), { dbx: null, spark: spark(11 * MIN) })
  const pairs = [
    decomposePair(decomposeSide(aacRun({ runMs: 20 * MIN }), { dbx, spark: spark(12 * MIN) }), on),
    decomposePair(decomposeSide(aacRun({ runMs: 22 * MIN }), { dbx: { ...dbx, setupMs: 7 * MIN }, spark: spark(12 * MIN) }), on),
    decomposePair(decomposeSide(aacRun({ runMs: 18 * MIN }), { dbx: null, spark: null }), on),
    decomposePair(decomposeSide(aacRun({ status: 'Failed' }), { dbx, spark: null }), on)
  ]
  const agg = aggregateTimings(pairs)
  t.equal(agg.pairs, 3)
  t.equal(agg.notCompared, 1)
  t.equal(agg.medianTotalDeltaMs, 20 * MIN + 10_000 - (14 * MIN + 5_000))
  const startup = agg.parts.find((p) => p.id === 'startup')!
  t.same([startup.medianDeltaMs, startup.pairs], [6 * MIN, 2], 'start-up median over the two pairs that know it')
  t.equal(agg.parts[0]!.id, 'startup', 'largest first')
  t.match(agg.headline, /^Over 3 pairs AAC is \+6m 05s slower at the median; cluster start-up \+6m 00s/)
  t.same(aggregateTimings([]), { pairs: 0, notCompared: 0, medianTotalDeltaMs: null, parts: [], headline: null })
  t.equal(median([3, 1, 2]), 2)
  t.equal(median([4, 1, 2, 3]), 2.5)
})

t.test('Databricks facts: setup_duration and the cluster events CREATING -> RUNNING', async (t) => {
  const details = {
    run: { setupMs: 300_000, executionMs: 600_000, cleanupMs: 10_000 },
    events: [
      { timestamp: 5000, type: 'RUNNING', details: {} },
      { timestamp: 1000, type: 'CREATING', details: {} },
      { timestamp: 9000, type: 'TERMINATING', details: {} }
    ]
  } as unknown as DbxDetails
  t.same(dbxTiming(details), { setupMs: 300_000, executionMs: 600_000, cleanupMs: 10_000, clusterStartMs: 4000 })
  t.equal(dbxTiming({ ...details, events: [] }).clusterStartMs, null, 'no events, no start-up from events')
})

t.test('Spark facts from a real event log: the union of job spans, within the application', async (t) => {
  const a: Analysis = await analyseEventLog(join(EVENTLOGS, 'spark', 'application_1516285256255_0012'))
  const s = sparkTiming(a)
  t.ok(s.jobs > 0)
  t.ok(s.jobsMs !== null && s.jobsMs > 0 && s.appMs !== null && s.jobsMs <= s.appMs, `jobs ${String(s.jobsMs)} ms within the application ${String(s.appMs)} ms`)
  // union of overlapping and nested spans, and a job without completion ending at the application end
  const synthetic = {
    application: { ...a.application, startTime: 0, endTime: 100, completed: true },
    parse: { ...a.parse, truncated: false, damage: [] },
    jobs: [
      { submissionTime: 10, completionTime: 30 },
      { submissionTime: 20, completionTime: 25 },
      { submissionTime: 28, completionTime: 40 },
      { submissionTime: 60 },
      { submissionTime: 70, completionTime: 50 }
    ] as Analysis['jobs'],
    stages: [] as Analysis['stages']
  }
  t.same(sparkTiming(synthetic), { appMs: 100, jobsMs: 30 + 40, jobs: 5, partial: false })
  // Spark 1.x: jobs without times fall back to the stages, and with neither compute is unknown
  const old = await analyseEventLog(join(EVENTLOGS, 'spark', 'local-1422981780767'))
  const o = sparkTiming(old)
  t.ok(old.jobs.every((j) => j.submissionTime === undefined), 'the old log has no job times')
  const stageTimes = old.stages.some((st) => st.submissionTime !== undefined)
  t.equal(o.jobsMs === null, !stageTimes, 'stage spans stand in when jobs have no times')
  t.equal(sparkTiming({ ...synthetic, jobs: [{}] as Analysis['jobs'] }).jobsMs, null)
})
