import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Run } from '../shared/flow-types.js'
import type { Analysis } from '../spark/analysis-types.js'
import { FlowName, JobGroupId } from '../plugins/route-schemas.js'
import { loadFlow, loadRun } from '../plugins/load-flow.js'
import { analysisKeyOf } from '../flows/analysis-key.js'
import { timingRows } from '../flows/decompose.js'
import { compareRows, signedPercent } from './compare.js'
import { compareSummary, matchStages, taskTimeByCategory, TASK_CATEGORIES } from './compare-platforms.js'
import { dashboardPath } from './dashboard-routes.js'
import { analyserVersionOf, isOutdatedAnalyser } from '../spark/analyser-version.js'

const PairParams = Type.Object({ flow: FlowName, aac: JobGroupId, onprem: JobGroupId })

// a pair page lists at most this many matched stages (the rest are counted)
const MAX_STAGE_ROWS = 200

/** What a side's analysis is, or why there is none and how to get one. */
interface SideAnalysis {
  analysis: Analysis | null
  missing: string | null
  /** made by an older analyser: its flags are not presented as current */
  outdated: boolean
}

/** The AAC vs on-prem page of one pair: decomposition, the two analyses side by side, and the summary. */
export async function pairRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, flows } = app

  async function sideAnalysis (flowName: string, run: Run): Promise<SideAnalysis> {
    const key = analysisKeyOf(run)
    if (key === null) return { analysis: null, missing: `AAC job ${run.jobGroupId} did not run on Databricks, so it has no Spark event log.`, outdated: false }
    const found = await store.analyses.read(flowName, key)
    if (found.kind === 'ok') return { analysis: found.saved.analysis, missing: null, outdated: isOutdatedAnalyser(analyserVersionOf(found.saved.analysis)) }
    if (found.kind === 'unreadable') return { analysis: null, missing: found.message, outdated: false }
    return {
      analysis: null,
      outdated: false,
      missing: run.platform === 'aac'
        ? `AAC job ${run.jobGroupId} has no analysis yet: open its DBX ▸ panel and download the event log.`
        : `On-prem job ${run.jobGroupId} has no analysis yet. Its Spark event log comes from the on-prem cluster's Spark History Server: once SPARK_HISTORY_SERVER_URL is set (Settings), fetch it from the on-prem run's page; it is saved under ${key}.`
    }
  }

  app.get('/flows/:flow/pairs/:aac/:onprem', { schema: { params: PairParams } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    const aac = loadRun(flow, req.params.aac, 'aac')
    const onprem = loadRun(flow, req.params.onprem, 'onprem')
    const pair = flow.pairs.find((p) => p.aacJobGroupId === aac.jobGroupId && p.onpremJobGroupId === onprem.jobGroupId) ?? null
    // any AAC run may face any on-prem run of the flow; the pairing only says which ones were submitted together
    const timing = await flows.timings.forPair(flow, pair ?? { aacJobGroupId: aac.jobGroupId, onpremJobGroupId: onprem.jobGroupId, diffMs: Math.abs(Date.parse(aac.submittedAt) - Date.parse(onprem.submittedAt)) })
    const [sa, so] = await Promise.all([sideAnalysis(flow.name, aac), sideAnalysis(flow.name, onprem)])
    const both = sa.analysis !== null && so.analysis !== null ? { a: sa.analysis, o: so.analysis } : null
    const stages = both === null ? [] : matchStages(both.a.stages, both.o.stages)
    return await reply.page('pages/pair', {
      flow,
      aac,
      onprem,
      pair,
      timing,
      timingRows: timing === null ? null : timingRows(timing),
      summary: timing === null ? [] : compareSummary(timing, sa.analysis, so.analysis, { outdatedAac: sa.outdated, outdatedOnprem: so.outdated }),
      aacSide: sa,
      onpremSide: so,
      // on-prem is the baseline (A), AAC the run judged (B)
      kpis: both === null ? null : compareRows(both.o, both.a),
      taskTime: both === null ? null : { aac: taskTimeByCategory(both.a), onprem: taskTimeByCategory(both.o) },
      categories: TASK_CATEGORIES,
      stages: stages.slice(0, MAX_STAGE_ROWS),
      stagesLeft: Math.max(0, stages.length - MAX_STAGE_ROWS),
      signedPercent,
      dashboardUrl: sa.analysis === null ? null : dashboardPath(flow.name, aac.jobGroupId)
    }, { title: `AAC ${aac.jobGroupId} vs on-prem ${onprem.jobGroupId} · ${flow.name}`, current: flow.name })
  })
}
