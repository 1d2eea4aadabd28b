import t from 'tap'
import { trendData } from '../../src/flows/trend.js'
import { decomposePair, decomposeSide, PART_LABELS, aggregateTimings } from '../../src/flows/decompose.js'
import { pairKey } from '../../src/flows/pair-timing.js'
import type { FlowData, Pair, Run } from '../../src/shared/flow-types.js'
import { makeRun } from '../helper-runs.js'

const MIN = 60_000
const base = Date.parse('2026-01-01T00:00:00Z')

function flowOf (n: number, failedAt: Set<number>): FlowData {
  const runs: Run[] = []
  const pairs: Pair[] = []
  for (let i = 0; i < n; i++) {
    const at = new Date(base + i * 3_600_000).toISOString()
    runs.push(makeRun({ platform: 'aac', jobGroupId: 10_000 + i, submittedAt: at, queueMs: 1000, runMs: 10 * MIN, status: failedAt.has(i) ? 'Failed' : 'Complete', flowName: 'f', databricksRunId: String(500 + i) }))
    runs.push(makeRun({ platform: 'onprem', jobGroupId: i, submittedAt: at, queueMs: 1000, runMs: 8 * MIN, flowName: 'f' }))
    pairs.push({ aacJobGroupId: 10_000 + i, onpremJobGroupId: i, diffMs: 0 })
  }
  runs.push(makeRun({ platform: 'onprem', jobGroupId: 99_999, submittedAt: new Date(base - 3_600_000).toISOString(), queueMs: 0, runMs: MIN, flowName: 'f' }))
  return { schemaVersion: 1, name: 'f', addedAt: '2026-01-01T00:00:00Z', runs: runs.reverse(), pairs, lastCollect: null }
}

function timingsOf (flow: FlowData) {
  const byPair = new Map()
  for (const p of flow.pairs) {
    const a = flow.runs.find((r) => r.platform === 'aac' && r.jobGroupId === p.aacJobGroupId)!
    const o = flow.runs.find((r) => r.platform === 'onprem' && r.jobGroupId === p.onpremJobGroupId)!
    byPair.set(pairKey(p.aacJobGroupId, p.onpremJobGroupId), decomposePair(decomposeSide(a, { dbx: { setupMs: 4 * MIN, executionMs: 5 * MIN, cleanupMs: 0, clusterStartMs: null }, spark: null }), decomposeSide(o, { dbx: null, spark: null })))
  }
  return { byPair, aggregate: aggregateTimings([...byPair.values()]), advice: [], analysed: new Set<string>(), outdated: new Set<string>() }
}

t.test('stacked by the measured parts, the rest "not split"; unpaired runs link to their run page', async (t) => {
  const flow = flowOf(3, new Set())
  const d = trendData(flow, timingsOf(flow), PART_LABELS)
  t.equal(d.points.length, 4)
  t.equal(d.downsampled, false)
  t.same(d.points[0]!.aac, null)
  t.match(d.points[0]!.url, /\/flows\/f\/runs\/99999$/)
  const p = d.points[1]!
  t.same(p.aac!.parts, { queue: 1000, startup: 4 * MIN, other: 10 * MIN + 1000 - 1000 - 4 * MIN - 5 * MIN })
  t.equal(p.aac!.unmeasuredMs, 5 * MIN, 'the execution is not split without an analysis')
  t.same(p.onprem!.parts, { queue: 1000 })
  t.equal(p.onprem!.unmeasuredMs, 8 * MIN)
  t.match(p.url, /\/flows\/f\/pairs\/10000\/0$/)
})

t.test('downsampling keeps every failure', async (t) => {
  const failed = new Set([5, 333, 334, 335, 777, 1500])
  const flow = flowOf(2000, failed)
  const d = trendData(flow, timingsOf(flow), PART_LABELS, 100)
  t.ok(d.downsampled)
  t.ok(d.points.length <= 100 + failed.size, `${d.points.length} points`)
  t.same(d.points.filter((p) => p.aac?.failed === true).map((p) => p.aac!.jobGroupId - 10_000), [...failed])
})
