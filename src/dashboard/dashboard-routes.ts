import type { FastifyInstance, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import type { Run } from '../shared/flow-types.js'
import type { AnalysisLookup } from '../store/analysis-files.js'
import { wantsFragment } from '../plugins/htmx.js'
import { FlowParamsSchema, RunParamsSchema, type RunParams } from '../plugins/route-schemas.js'
import { loadFlow, loadRun } from '../plugins/load-flow.js'
import { matchesEtag } from '../plugins/page-cache.js'
import { flowPath } from '../shared/format.js'
import { dashboardView } from './dashboard-view.js'
import { clusterUsage } from '../databricks/cluster-usage.js'
import { chartData, CHART_DATA_VERSION } from './chart-data.js'
import { compareRows, signedPercent } from './compare.js'
import { analyseTaskKey, downloadTaskKey } from '../databricks/dbx-service.js'
import { analysisKeyOf } from '../flows/analysis-key.js'
import { analyserVersionOf, isOutdatedAnalyser } from '../spark/analyser-version.js'
import { setTimeout as sleep } from 'node:timers/promises'

const DashQuerySchema = Type.Object({ all: Type.Optional(Type.Union([Type.Literal('stages'), Type.Literal('executors'), Type.Literal('both')])) })
type DashQuery = Static<typeof DashQuerySchema>
// an empty select submits "": accept it as "not chosen"
// where a re-analysis was asked from: the dashboard page, its panel over the flow page, or the run page
const ReanalyseFrom = Type.Union([Type.Literal('dashboard'), Type.Literal('panel'), Type.Literal('run')], { default: 'dashboard' })
const ReanalyseSchema = Type.Object({ from: ReanalyseFrom })
type From = Static<typeof ReanalyseFrom>
// without JavaScript the form waits this long for the re-analysis, then shows the page as it is (reload follows it)
const NO_JS_WAIT_MS = 20_000
const CompareQuery = Type.Object({ a: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$' })), b: Type.Optional(Type.String({ pattern: '^[0-9]{0,15}$' })) })

/** The dashboard URL of a run (page, panel fragment: the same URL). */
export function dashboardPath (flow: string, jobGroupId: number): string {
  return `${flowPath(flow)}/runs/${jobGroupId}/dashboard`
}

/** Performance dashboard of an analysed run (panel fragment or full page), its chart data, and run comparison. */
export async function dashboardRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, tasks, dbx, history, analyser } = app

  async function findRun (params: RunParams): Promise<{ flow: Awaited<ReturnType<typeof loadFlow>>, run: Run }> {
    const flow = await loadFlow(store, params.flow)
    return { flow, run: loadRun(flow, params.jobGroupId) }
  }

  async function lookup (flow: string, run: Run): Promise<AnalysisLookup> {
    const key = analysisKeyOf(run)
    if (key === null) return { kind: 'missing' }
    return await store.analyses.read(flow, key)
  }

  async function dashboardData (params: RunParams, query: DashQuery) {
    const { flow, run } = await findRun(params)
    const found = await lookup(flow.name, run)
    const runUrl = `${flowPath(flow.name)}/runs/${run.jobGroupId}`
    const all = query.all
    const jobRunId = analysisKeyOf(run)
    const onprem = run.platform === 'onprem'
    const task = (key: string): string | null => tasks.get(key)?.status ?? null
    // an AAC run's cluster events, when the DBX panel cached them, give the node-hours the cloud billed
    const details = !onprem && jobRunId !== null && found.kind === 'ok' ? await dbx.cachedDetails(flow.name, jobRunId) : null
    const cluster = details === null ? null : clusterUsage(details.events)
    return {
      flowName: flow.name,
      run,
      runUrl,
      dashUrl: dashboardPath(flow.name, run.jobGroupId),
      apiUrl: `/api${runUrl}/analysis`,
      state: found.kind,
      message: found.kind === 'unreadable' ? found.message : null,
      view: found.kind === 'ok' ? dashboardView(found.saved.analysis, { allStages: all === 'stages' || all === 'both', allExecutors: all === 'executors' || all === 'both', cluster }) : null,
      analysedAt: found.kind === 'ok' ? found.saved.analysis.generatedAt : null,
      canDownload: onprem ? history.configured : jobRunId !== null && dbx.configured,
      // whether the run has a Spark event log somewhere (Databricks, or the on-prem History Server)
      onDatabricks: jobRunId !== null,
      logSource: onprem ? 'the on-prem Spark History Server' : 'Databricks',
      downloadUrl: onprem ? `${runUrl}/onprem/eventlog/download` : `${runUrl}/eventlog/download`,
      downloadStatus: jobRunId === null ? null : task(downloadTaskKey(flow.name, jobRunId)),
      analysisStatus: jobRunId === null ? null : task(analyseTaskKey(flow.name, jobRunId)),
      // why the last analysis failed (a log too large for the analysis's memory, an unreadable one)
      analysisError: jobRunId === null ? null : tasks.get(analyseTaskKey(flow.name, jobRunId))?.error ?? null,
      stale: found.kind === 'ok' && jobRunId !== null ? await staleness(flow.name, jobRunId, found.saved.mtimeMs) : null,
      // an analysis made by an older analyser: the notice and its Re-analyse button (or the re-analysis running)
      reanalyse: found.kind === 'ok' && jobRunId !== null ? await analyser.state(flow.name, jobRunId, analyserVersionOf(found.saved.analysis)) : null
    }
  }

  /**
   * The re-analyse box of a run, as asked from `from`. On the dashboard, once the saved analysis is this analyser's,
   * the whole dashboard content is sent instead, retargeted over the old one (the charts redraw from the new data).
   */
  async function sendReanalyse (params: RunParams, from: From, reply: FastifyReply): Promise<FastifyReply> {
    const { flow, run } = await findRun(params)
    const key = analysisKeyOf(run)
    if (key === null) throw app.httpErrors.notFound(`Run ${run.jobGroupId} has no Spark event log to analyse.`)
    const found = await store.analyses.read(flow.name, key)
    const state = await analyser.state(flow.name, key, found.kind === 'ok' ? analyserVersionOf(found.saved.analysis) : null)
    reply.header('cache-control', 'no-store')
    if (from !== 'run' && found.kind === 'ok' && !state.outdated && state.task?.status !== 'running') {
      const data = await dashboardData(params, {})
      reply.header('hx-retarget', '#dashboard-content').header('hx-reswap', 'outerHTML')
      return await reply.fragment('partials/dashboard-content', { ...data, inPanel: from === 'panel' })
    }
    return await reply.fragment('partials/reanalyse', { ...state, runUrl: `${flowPath(flow.name)}/runs/${run.jobGroupId}`, jobGroupId: run.jobGroupId, from })
  }

  /**
   * A download or analysis of the run that failed after the shown analysis was saved: what, when and why. From the
   * tasks of this process and from the failure the store kept (so a restart still shows it).
   */
  async function staleness (flowName: string, jobRunId: string, savedMs: number): Promise<{ what: string, at: string, error: string | null, savedAt: string } | null> {
    const fromTasks = [
      { what: 'download' as const, t: tasks.get(downloadTaskKey(flowName, jobRunId)) },
      { what: 'analysis' as const, t: tasks.get(analyseTaskKey(flowName, jobRunId)) }
      // a failed upload kept nothing (the log on disk is the analysed one): not a reason to doubt the analysis
    ].flatMap(({ what, t }) => t !== null && t.kind !== 'upload' && t.status === 'failed' && t.finishedAt !== null ? [{ what, at: t.finishedAt, error: t.error }] : [])
    const saved = await store.analyses.readFailure(flowName, jobRunId)
    const last = [...fromTasks, ...(saved === null ? [] : [saved])]
      .filter((f) => Date.parse(f.at) > savedMs)
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0]
    return last === undefined ? null : { what: last.what, at: last.at, error: last.error, savedAt: new Date(savedMs).toISOString() }
  }

  app.get('/flows/:flow/runs/:jobGroupId/dashboard', { schema: { params: RunParamsSchema, querystring: DashQuerySchema } }, async (req, reply) => {
    const data = await dashboardData(req.params, req.query)
    reply.header('vary', 'HX-Request')
    if (wantsFragment(req)) return await reply.fragment('partials/dashboard-panel', data)
    const title = `Dashboard · run ${req.params.jobGroupId} · ${data.flowName}`
    return await reply.page('pages/dashboard', { ...data, islandScript: data.view === null ? null : '/static/js/dashboard.js' }, { title, current: data.flowName })
  })

  // Re-analyse a run's saved log with this analyser (its analysis was made by an older one): no download.
  app.post('/flows/:flow/runs/:jobGroupId/reanalyse', { schema: { params: RunParamsSchema, body: ReanalyseSchema } }, async (req, reply) => {
    const { flow, run } = await findRun(req.params)
    const key = analysisKeyOf(run)
    if (key === null) throw app.httpErrors.notFound(`Run ${run.jobGroupId} has no Spark event log to analyse.`)
    const task = await analyser.reanalyse(flow.name, key)
    if (wantsFragment(req)) return await sendReanalyse(req.params, req.body.from, reply)
    // without JavaScript: the page it was asked from, with the new analysis when it is done within a while
    await Promise.race([tasks.wait(task.key).catch(() => {}), sleep(NO_JS_WAIT_MS, undefined, { ref: false })])
    const runUrl = `${flowPath(flow.name)}/runs/${run.jobGroupId}`
    return await reply.redirect(req.body.from === 'run' ? runUrl : dashboardPath(flow.name, run.jobGroupId), 303)
  })

  // the re-analyse box's progress (htmx polls it while the analysis runs)
  app.get('/flows/:flow/runs/:jobGroupId/reanalyse', { schema: { params: RunParamsSchema, querystring: ReanalyseSchema } }, async (req, reply) => {
    return await sendReanalyse(req.params, req.query.from, reply)
  })

  app.get('/api/flows/:flow/runs/:jobGroupId/analysis', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flow, run } = await findRun(req.params)
    const found = await lookup(flow.name, run)
    if (found.kind === 'missing') throw app.httpErrors.notFound(`Run ${run.jobGroupId} has no analysis yet: download its event log first.`)
    if (found.kind === 'unreadable') throw app.httpErrors.unprocessableEntity(found.message)
    const saved = found.saved
    const etag = `${saved.etag.slice(0, -1)}-v${CHART_DATA_VERSION}"`
    const lastModified = new Date(Math.floor(saved.mtimeMs / 1000) * 1000)
    // Revalidate every time: a new download replaces analysis.json under the same URL.
    reply.header('etag', etag).header('last-modified', lastModified.toUTCString()).header('cache-control', 'private, no-cache')
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    const matches = typeof inm === 'string'
      ? matchesEtag(inm, etag)
      : typeof ims === 'string' && !Number.isNaN(Date.parse(ims)) && Date.parse(ims) >= lastModified.getTime()
    if (matches) return await reply.code(304).send()
    return await reply.type('application/json; charset=utf-8').send(chartData(saved.analysis))
  })

  app.get('/flows/:flow/compare', { schema: { params: FlowParamsSchema, querystring: CompareQuery } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    const versions = await store.analyses.analyserVersions(flow.name)
    const candidates = flow.runs.filter((r) => r.databricksRunId !== null && versions.has(r.databricksRunId))
    // job group ids of the candidates an older analyser analysed (their options say so)
    const outdated = new Set(candidates.filter((r) => isOutdatedAnalyser(versions.get(r.databricksRunId!) ?? null)).map((r) => r.jobGroupId))
    const pick = (q: string | undefined): Run | null => q === undefined || q === '' ? null : candidates.find((r) => r.jobGroupId === Number(q)) ?? null
    let a = pick(req.query.a)
    let b = pick(req.query.b)
    const asked = (req.query.a ?? '') !== '' && (req.query.b ?? '') !== ''
    let problem: string | null = null
    if (asked && (a === null || b === null)) problem = 'Choose two runs that have an analysis.'
    else if (a !== null && b !== null && a.jobGroupId === b.jobGroupId) problem = 'Choose two different runs.'
    let result: Record<string, unknown> | null = null
    if (problem === null && a !== null && b !== null) {
      const [la, lb] = await Promise.all([store.analyses.read(flow.name, a.databricksRunId!), store.analyses.read(flow.name, b.databricksRunId!)])
      if (la.kind === 'ok' && lb.kind === 'ok') {
        result = {
          rows: compareRows(la.saved.analysis, lb.saved.analysis),
          appA: la.saved.analysis.application,
          appB: lb.saved.analysis.application,
          flagsA: la.saved.analysis.flags.map((f) => f.title),
          flagsB: lb.saved.analysis.flags.map((f) => f.title),
          // made by an older analyser: its flags are not shown as current (its dashboard offers to re-analyse)
          outdatedA: isOutdatedAnalyser(analyserVersionOf(la.saved.analysis)),
          outdatedB: isOutdatedAnalyser(analyserVersionOf(lb.saved.analysis))
        }
      } else {
        problem = 'One of the analyses could not be read; download that run\'s event log again.'
      }
    }
    if (!asked) {
      // preselect what was given (the dashboard links here with its run as B), else the two newest analysed runs,
      // the older as A (the baseline)
      b ??= a ?? candidates[0] ?? null
      if (a === null || a === b) a = candidates.find((r) => r !== b) ?? null
    }
    return await reply.page('pages/compare', {
      flow,
      candidates,
      outdated,
      a,
      b,
      problem,
      result,
      signedPercent,
      dashboardPath
    }, { title: `Compare runs · ${flow.name}`, current: flow.name })
  })
}
