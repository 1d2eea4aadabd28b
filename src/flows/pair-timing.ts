import pLimit from 'p-limit'
import type { FlowData, Pair, Run } from '../shared/flow-types.js'
import type { FlowStore } from '../store/flow-store.js'
import { asDbxDetails } from '../databricks/dbx-details.js'
import { analysisKeyOf } from './analysis-key.js'
import { aggregateTimings, dbxTiming, decomposePair, decomposeSide, sparkTiming, type DbxTiming, type FlowTiming, type PairTiming, type SparkTiming } from './decompose.js'
import { adviceFor, type TimingAdvice } from './timing-advice.js'
import { isOutdatedAnalyser } from '../spark/analyser-version.js'

/** The decomposition of every pair of a flow, with the flow's medians and the advice they call for. */
export interface FlowTimings {
  /** by pairKey(aac, onprem) */
  byPair: Map<string, PairTiming>
  aggregate: FlowTiming
  advice: TimingAdvice[]
  /** analysis keys of the flow that have an analysis (as of the same revision) */
  analysed: Set<string>
  /** those of them made by an older analyser (flags may differ: the runs table marks them) */
  outdated: Set<string>
}

export const pairKey = (aacJobGroupId: number, onpremJobGroupId: number): string => `${aacJobGroupId}:${onpremJobGroupId}`

export interface PairTimings {
  /** computed once per change of the flow's files (the store's revision), then served from memory */
  forFlow: (flow: FlowData) => Promise<FlowTimings>
  /** one pair, read fresh (the run and pair pages) */
  forPair: (flow: FlowData, pair: Pair) => Promise<PairTiming | null>
}

// reads of the Databricks cache and analyses at a time while a flow's timings are built
const READS = 8

export function createPairTimings (deps: { store: FlowStore }): PairTimings {
  const { store } = deps
  const memo = new Map<string, { revision: number, flow: FlowData, value: Promise<FlowTimings> }>()

  async function dbxFacts (flowName: string, run: Run): Promise<DbxTiming | null> {
    if (run.platform !== 'aac' || run.databricksRunId === null) return null
    const entry = await store.readDbx(flowName, run.databricksRunId).catch(() => null)
    const details = entry === null ? null : asDbxDetails(entry.data)
    return details === null ? null : dbxTiming(details)
  }

  async function sparkFacts (flowName: string, run: Run, analysed: Set<string> | null): Promise<SparkTiming | null> {
    const key = analysisKeyOf(run)
    if (key === null || (analysed !== null && !analysed.has(key))) return null
    const found = await store.analyses.read(flowName, key).catch(() => null)
    return found?.kind === 'ok' ? sparkTiming(found.saved.analysis) : null
  }

  async function timing (flow: FlowData, pair: Pair, byKey: Map<string, Run>, analysed: Set<string> | null): Promise<PairTiming | null> {
    const aac = byKey.get(`aac:${pair.aacJobGroupId}`)
    const onprem = byKey.get(`onprem:${pair.onpremJobGroupId}`)
    if (aac === undefined || onprem === undefined) return null
    const [dbx, sa, so] = await Promise.all([dbxFacts(flow.name, aac), sparkFacts(flow.name, aac, analysed), sparkFacts(flow.name, onprem, analysed)])
    return decomposePair(decomposeSide(aac, { dbx, spark: sa }), decomposeSide(onprem, { dbx: null, spark: so }))
  }

  const runIndex = (flow: FlowData): Map<string, Run> => new Map(flow.runs.map((r) => [`${r.platform}:${r.jobGroupId}`, r]))

  async function build (flow: FlowData): Promise<FlowTimings> {
    const byKey = runIndex(flow)
    const versions = await store.analyses.analyserVersions(flow.name)
    const analysed = new Set(versions.keys())
    const outdated = new Set([...versions].flatMap(([key, v]) => isOutdatedAnalyser(v) ? [key] : []))
    const limit = pLimit(READS)
    const byPair = new Map<string, PairTiming>()
    await Promise.all(flow.pairs.map(async (p) => await limit(async () => {
      const t = await timing(flow, p, byKey, analysed)
      if (t !== null) byPair.set(pairKey(p.aacJobGroupId, p.onpremJobGroupId), t)
    })))
    const aggregate = aggregateTimings([...byPair.values()])
    return { byPair, aggregate, advice: adviceFor(aggregate), analysed, outdated }
  }

  return {
    async forFlow (flow) {
      const revision = store.revision(flow.name)
      const hit = memo.get(flow.name)
      // the same revision and the same flow document (a file changed behind the store's back is read anew)
      if (hit !== undefined && hit.revision === revision && hit.flow === flow) return await hit.value
      const value = build(flow)
      memo.set(flow.name, { revision, flow, value })
      value.catch(() => { if (memo.get(flow.name)?.value === value) memo.delete(flow.name) })
      return await value
    },
    async forPair (flow, pair) {
      return await timing(flow, pair, runIndex(flow), null)
    }
  }
}
