import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../services.js'
import type { FlowData, Run } from '../shared/flow-types.js'
import type { AnalysisLookup } from '../store/analysis-files.js'
import { layoutData, render, wantsFragment } from '../plugins/view-helpers.js'
import { flowPath } from '../shared/format.js'
import { dashboardView } from './dashboard-view.js'
import { chartData, CHART_DATA_VERSION } from './chart-data.js'
import { compareRows, signedPercent } from './compare.js'
import { analyseTaskKey, downloadTaskKey } from '../databricks/dbx-service.js'
import { VENDOR, vendorUrl } from '../plugins/assets.js'

const flowName = { type: 'string', minLength: 1, maxLength: 200 } as const
const jobGroupId = { type: 'string', pattern: '^[0-9]{1,15}$' } as const
const runParams = { type: 'object', required: ['flow', 'jobGroupId'], properties: { flow: flowName, jobGroupId } } as const
const dashQuery = { type: 'object', properties: { all: { type: 'string', enum: ['stages', 'executors', 'both'] } } } as const
const compareSchema = {
  params: { type: 'object', required: ['flow'], properties: { flow: flowName } },
  // an empty select submits "": accept it as "not chosen"
  querystring: { type: 'object', properties: { a: { type: 'string', pattern: '^[0-9]{0,15}$' }, b: { type: 'string', pattern: '^[0-9]{0,15}$' } } }
} as const

interface RunParams { flow: string, jobGroupId: string }
interface DashQuery { all?: 'stages' | 'executors' | 'both' }

function httpError (status: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode: status })
}

/** The dashboard URL of a run (page, panel fragment: the same URL). */
export function dashboardPath (flow: string, jobGroupId: number): string {
  return `${flowPath(flow)}/runs/${jobGroupId}/dashboard`
}

/** Performance dashboard of an analysed run (panel fragment or full page), its chart data, and run comparison. */
export async function dashboardRoutes (app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts

  async function findRun (params: RunParams): Promise<{ flow: FlowData, run: Run }> {
    const flow = await services.store.readFlow(params.flow)
    if (flow === null) throw httpError(404, `There is no flow named “${params.flow}” here. Add it from the sidebar.`)
    const id = Number(params.jobGroupId)
    // AAC first: only AAC runs ran on Databricks and have event logs
    const run = flow.runs.find((r) => r.jobGroupId === id && r.platform === 'aac') ?? flow.runs.find((r) => r.jobGroupId === id)
    if (run === undefined) throw httpError(404, `Run ${id} is not among the saved runs of “${flow.name}”. Collect the latest runs first.`)
    return { flow, run }
  }

  async function lookup (flow: string, run: Run): Promise<AnalysisLookup> {
    if (run.databricksRunId === null) return { kind: 'missing' }
    return await services.analyses.read(flow, run.databricksRunId)
  }

  async function dashboardData (req: FastifyRequest<{ Params: RunParams, Querystring: DashQuery }>): Promise<Record<string, unknown>> {
    const { flow, run } = await findRun(req.params)
    const found = await lookup(flow.name, run)
    const runUrl = `${flowPath(flow.name)}/runs/${run.jobGroupId}`
    const all = req.query.all
    const jobRunId = run.databricksRunId
    const task = (key: string): string | null => services.tasks.get(key)?.status ?? null
    return {
      flowName: flow.name,
      run,
      runUrl,
      dashUrl: dashboardPath(flow.name, run.jobGroupId),
      apiUrl: `/api${runUrl}/analysis`,
      state: found.kind,
      message: found.kind === 'unreadable' ? found.message : null,
      view: found.kind === 'ok' ? dashboardView(found.saved.analysis, { allStages: all === 'stages' || all === 'both', allExecutors: all === 'executors' || all === 'both' }) : null,
      analysedAt: found.kind === 'ok' ? found.saved.analysis.generatedAt : null,
      canDownload: run.platform === 'aac' && jobRunId !== null && services.dbx.configured,
      onDatabricks: run.platform === 'aac' && jobRunId !== null,
      downloadStatus: jobRunId === null ? null : task(downloadTaskKey(flow.name, jobRunId)),
      analysisStatus: jobRunId === null ? null : task(analyseTaskKey(flow.name, jobRunId))
    }
  }

  app.get<{ Params: RunParams, Querystring: DashQuery }>('/flows/:flow/runs/:jobGroupId/dashboard', { schema: { params: runParams, querystring: dashQuery } }, async (req, reply) => {
    const data = await dashboardData(req)
    reply.header('vary', 'HX-Request')
    if (wantsFragment(req)) return await render(reply, 'partials/dashboard-panel', { ...data, chartUrl: vendorUrl(VENDOR.chart) })
    const title = `Dashboard · run ${String(req.params.jobGroupId)} · ${String(data.flowName)}`
    const layout = await layoutData(services, String(data.flowName), title)
    return await render(reply, 'pages/dashboard', { ...layout, ...data, islandScript: data.view === null ? null : '/static/js/dashboard.js' })
  })

  app.get<{ Params: RunParams }>('/api/flows/:flow/runs/:jobGroupId/analysis', { schema: { params: runParams } }, async (req, reply) => {
    const { flow, run } = await findRun(req.params)
    const found = await lookup(flow.name, run)
    if (found.kind === 'missing') throw httpError(404, `Run ${run.jobGroupId} has no analysis yet: download its event log first.`)
    if (found.kind === 'unreadable') throw httpError(422, found.message)
    const saved = found.saved
    const etag = `${saved.etag.slice(0, -1)}-v${CHART_DATA_VERSION}"`
    const lastModified = new Date(Math.floor(saved.mtimeMs / 1000) * 1000)
    // Revalidate every time: a new download replaces analysis.json under the same URL.
    reply.header('etag', etag).header('last-modified', lastModified.toUTCString()).header('cache-control', 'private, no-cache')
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    const matches = typeof inm === 'string'
      ? inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')
      : typeof ims === 'string' && !Number.isNaN(Date.parse(ims)) && Date.parse(ims) >= lastModified.getTime()
    if (matches) return await reply.code(304).send()
    return await reply.type('application/json; charset=utf-8').send(chartData(saved.analysis))
  })

  app.get<{ Params: { flow: string }, Querystring: { a?: string, b?: string } }>('/flows/:flow/compare', { schema: compareSchema }, async (req, reply) => {
    const flow = await services.store.readFlow(req.params.flow)
    if (flow === null) throw httpError(404, `There is no flow named “${req.params.flow}” here. Add it from the sidebar.`)
    const analysed = await services.analyses.analysedRunIds(flow.name)
    const candidates = flow.runs.filter((r) => r.databricksRunId !== null && analysed.has(r.databricksRunId))
    const pick = (q: string | undefined): Run | null => q === undefined || q === '' ? null : candidates.find((r) => r.jobGroupId === Number(q)) ?? null
    let a = pick(req.query.a)
    let b = pick(req.query.b)
    const asked = (req.query.a ?? '') !== '' && (req.query.b ?? '') !== ''
    let problem: string | null = null
    if (asked && (a === null || b === null)) problem = 'Choose two runs that have an analysis.'
    else if (a !== null && b !== null && a.jobGroupId === b.jobGroupId) problem = 'Choose two different runs.'
    let result: Record<string, unknown> | null = null
    if (problem === null && a !== null && b !== null) {
      const [la, lb] = await Promise.all([services.analyses.read(flow.name, a.databricksRunId!), services.analyses.read(flow.name, b.databricksRunId!)])
      if (la.kind === 'ok' && lb.kind === 'ok') {
        result = {
          rows: compareRows(la.saved.analysis, lb.saved.analysis),
          appA: la.saved.analysis.application,
          appB: lb.saved.analysis.application,
          flagsA: la.saved.analysis.flags.map((f) => f.title),
          flagsB: lb.saved.analysis.flags.map((f) => f.title)
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
    return await render(reply, 'pages/compare', {
      ...(await layoutData(services, flow.name, `Compare runs · ${flow.name}`)),
      flow,
      candidates,
      a,
      b,
      problem,
      result,
      signedPercent,
      dashboardPath
    })
  })
}
