import t from 'tap'
import { join } from 'node:path'
import { decomposePair, decomposeSide, sparkTiming, type DbxTiming } from '../../src/flows/decompose.js'
import { compareSummary } from '../../src/dashboard/compare-platforms.js'
import { analyseEventLog } from '../../src/spark/analyse.js'
import type { Analysis } from '../../src/spark/analysis-types.js'
import { makeRun } from '../helper-runs.js'
import { EVENTLOGS } from '../helper-fixtures.js'

// the demo's red-flag story: a saturated Photon cluster (critical capacity_bound) makes the AAC run slower
const MIN = 60_000
let aac: Analysis
let onprem: Analysis
t.before(async () => {
  aac = await analyseEventLog(join(EVENTLOGS, 'spark-rapids-tools/spark-events-qualification/nds_q88_photon_db_13_3.zstd'))
  onprem = await analyseEventLog(join(EVENTLOGS, 'spark-rapids-tools/spark-events-profiling/rp_sql_eventlog.zstd'))
})

function pair (aacRunMs: number, onpremRunMs: number, withAac = true) {
  const dbx: DbxTiming = { setupMs: 5 * MIN, executionMs: aacRunMs - 7 * MIN, cleanupMs: 30_000, clusterStartMs: 5 * MIN }
  const a = decomposeSide(makeRun({ platform: 'aac', jobGroupId: 1, submittedAt: '2026-01-01T10:00:00Z', queueMs: 10_000, runMs: aacRunMs, databricksRunId: '9' }), { dbx, spark: withAac ? sparkTiming(aac) : null })
  const o = decomposeSide(makeRun({ platform: 'onprem', jobGroupId: 2, submittedAt: '2026-01-01T10:01:00Z', queueMs: null, runMs: onpremRunMs }), { dbx: null, spark: sparkTiming(onprem) })
  return decomposePair(a, o)
}

t.test('a critical AAC-only flag explains a slower AAC run, with its cost and the difference', async (t) => {
  t.ok(aac.flags.some((f) => f.severity === 'critical'), 'the Photon log has a critical flag')
  const lines = compareSummary(pair(16 * MIN, 4 * MIN), aac, onprem)
  const line = lines.find((l) => l.id === 'red-flag')
  t.ok(line, 'a red-flag line')
  t.match(line?.text, /^A red flag explains part of the slower AAC run: .+ \(critical\) costs ~[\d.]+ min of [\d.]+ min on AAC, of the \+12m 10s difference\. [A-Z]/)
  t.ok(lines.findIndex((l) => l.id === 'red-flag') < lines.findIndex((l) => l.id === 'flags'), 'before the list of AAC-only flags')
})

t.test('no red-flag line when AAC is faster, not analysed, or the pair is not compared', async (t) => {
  const cases: Array<[string, Parameters<typeof compareSummary>]> = [
    ['AAC faster', [pair(8 * MIN, 12 * MIN), aac, onprem]],
    ['AAC not analysed', [pair(16 * MIN, 4 * MIN, false), null, onprem]],
    ['a run failed', [{ ...pair(16 * MIN, 4 * MIN), comparable: false, totalDeltaMs: null }, aac, onprem]],
    ['the same flag on-prem', [pair(16 * MIN, 4 * MIN), aac, aac]]
  ]
  for (const [name, args] of cases) t.notOk(compareSummary(...args).some((l) => l.id === 'red-flag'), name)
})

t.test('the summary says whether the two applications read the same data', async (t) => {
  t.ok(aac.kpis.inputBytes > 10 * onprem.kpis.inputBytes, 'the two logs read very different inputs')
  const lines = compareSummary(pair(16 * MIN, 4 * MIN), aac, onprem)
  const work = lines.find((l) => l.id === 'workload')
  t.match(work?.text, /^The two applications did not read the same data: 49\.4 GiB of input on AAC, 0 B on-prem\. The compute difference reflects the data/)
  t.equal(lines.findIndex((l) => l.id === 'workload'), lines.findIndex((l) => l.id === 'compute') + 1, 'right after the compute line')
  const same = compareSummary(pair(16 * MIN, 4 * MIN), aac, aac).find((l) => l.id === 'workload')
  t.match(same?.text, /^Both applications read about the same input \(49\.4 GiB on AAC, 49\.4 GiB on-prem\)/)
  const tiny = await analyseEventLog(join(EVENTLOGS, 'spark/local-1422981780767'))
  t.ok(Math.max(tiny.kpis.inputBytes, 0) < 64 * 1024 * 1024)
  t.notOk(compareSummary(pair(16 * MIN, 4 * MIN), tiny, tiny).some((l) => l.id === 'workload'), 'no line when both read little')
})
