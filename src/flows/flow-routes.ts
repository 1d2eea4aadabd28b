import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { setTimeout as sleep } from 'node:timers/promises'
import { redirectAfterPost, wantsFragment } from '../plugins/htmx.js'
import { FlowName, FlowParamsSchema, PageQuerySchema, RunParamsSchema } from '../plugins/route-schemas.js'
import { loadFlow } from '../plugins/load-flow.js'
import { flowPath } from '../shared/format.js'
import { lookAlikeFlowNames, newFlowNameProblem, normalizeFlowName } from '../shared/flow-name.js'
import { buildRunRows, pageOfRows } from './runs-table.js'
import { PART_LABELS, timingRows } from './decompose.js'
import type { FlowData } from '../shared/flow-types.js'
import { analysisKeyOf } from './analysis-key.js'
import type { ReanalyseState } from './analyser-service.js'

const AddFlowBody = Type.Object({ name: FlowName, confirm: Type.Optional(Type.Literal('1')) })
const NO_JS_WAIT_MS = 20_000

/** Pages and actions of flows: list, add, remove, runs table, collect, one run. */
export async function flowRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, flows, analyser } = app

  /** What the runs table needs: one page of rows (newest first), the pairs' decompositions, the analysed runs. */
  async function runsTable (flow: FlowData, page: number | undefined) {
    const pager = pageOfRows(buildRunRows(flow), page)
    const timings = await flows.timings.forFlow(flow)
    return { rows: pager.rows, pager, timings, analysed: timings.analysed, outdated: timings.outdated, analysisKeyOf, partLabels: PART_LABELS }
  }

  app.get('/', async (_req, reply) => {
    const summaries = await store.listFlowSummaries()
    return await reply.page('pages/home', { summaries, suggestions: await flows.suggestions() }, { title: 'Flows' })
  })

  app.get('/flows/new', async (_req, reply) => {
    return await reply.page('pages/add-flow', { suggestions: await flows.suggestions({ wait: true }) }, { title: 'Add a flow' })
  })

  // What a closed in-place panel is replaced with (htmx swaps the empty body into its slot).
  app.get('/fragments/empty', async (_req, reply) => await reply.type('text/html; charset=utf-8').send(''))

  app.get('/fragments/flow-suggestions', async (_req, reply) => {
    return await reply.fragment('partials/flow-suggestions', { suggestions: await flows.suggestions({ wait: true }) })
  })

  app.post('/flows', { schema: { body: AddFlowBody } }, async (req, reply) => {
    const name = normalizeFlowName(req.body.name)
    const existing = await store.listFlows()
    if (!existing.includes(name)) {
      const problem = newFlowNameProblem(name)
      if (problem !== null) throw app.httpErrors.badRequest(problem)
      // a name that looks like a saved one is added only once the user confirms (a form: works without JS)
      const similar = lookAlikeFlowNames(name, existing)
      if (similar.length > 0 && req.body.confirm !== '1') {
        return await reply.code(409).page('pages/add-flow', { suggestions: [], name, similar }, { title: 'Add a flow' })
      }
    }
    const flow = await store.addFlow(name)
    return await redirectAfterPost(req, reply, flowPath(flow.name))
  })

  app.get('/flows/:flow', { schema: { params: FlowParamsSchema, querystring: PageQuerySchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    const task = flows.collectTask(flow.name)
    const page = pageOfRows(buildRunRows(flow), req.query.page).page
    // Everything the page shows: the flow document (a new object when its file changes), what else the store wrote
    // for the flow (Databricks details, analyses: its revision), the page of the table and the collection's state.
    const key = { owner: flow, parts: [store.revision(flow.name), page, task] }
    return await reply.cachedPage(key, 'pages/flow', async () => ({
      flow,
      ...await runsTable(flow, page),
      pageScript: '/static/js/trend.js',
      flowName: flow.name,
      task
    }), { title: flow.name, current: flow.name })
  })

  app.post('/flows/:flow/delete', { schema: { params: FlowParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    flows.cancelCollect(flow.name)
    await store.removeFlow(flow.name)
    return await redirectAfterPost(req, reply, '/')
  })

  app.post('/flows/:flow/collect', { schema: { params: FlowParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    flows.startCollect(flow.name)
    if (wantsFragment(req)) return await reply.fragment('partials/collect-progress', { flowName: flow.name, task: flows.collectTask(flow.name) })
    // Without JavaScript the form waits for the result, then shows it at the flow's own URL; a long collection
    // shows its progress and Cancel button there instead (reloading the page follows it).
    await Promise.race([flows.waitCollect(flow.name), sleep(NO_JS_WAIT_MS, undefined, { ref: false })])
    return await reply.redirect(flowPath(flow.name), 303)
  })

  app.post('/flows/:flow/collect/cancel', { schema: { params: FlowParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    // the answer shows the settled state, not "running" one last time
    if (flows.cancelCollect(flow.name)) await flows.waitCollect(flow.name).catch(() => {})
    if (wantsFragment(req)) return await reply.fragment('partials/collect-progress', { flowName: flow.name, task: flows.collectTask(flow.name) })
    return await reply.redirect(flowPath(flow.name), 303)
  })

  app.get('/flows/:flow/collect/progress', { schema: { params: FlowParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    const task = flows.collectTask(flow.name)
    const finished = task !== null && task.status !== 'running'
    return await reply.fragment('partials/collect-progress', {
      flowName: flow.name,
      task,
      flow,
      swapTable: finished,
      ...(finished ? await runsTable(flow, 1) : { rows: null, analysed: null, outdated: null })
    })
  })

  app.get('/flows/:flow/runs/:jobGroupId', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    const id = Number(req.params.jobGroupId)
    const runs = flow.runs.filter((r) => r.jobGroupId === id)
    if (runs.length === 0) throw app.httpErrors.notFound(`Run ${id} is not among the saved runs of “${flow.name}”. Collect the latest runs first.`)
    const pair = flow.pairs.find((p) => p.aacJobGroupId === id || p.onpremJobGroupId === id) ?? null
    const timing = pair === null ? null : await flows.timings.forPair(flow, pair)
    const versions = await store.analyses.analyserVersions(flow.name)
    // the re-analyse box of each of its runs whose analysis an older analyser made (or whose analysis runs)
    const reanalyse = new Map<string, ReanalyseState>()
    for (const r of runs) {
      const key = analysisKeyOf(r)
      if (key === null || !versions.has(key)) continue
      const state = await analyser.state(flow.name, key, versions.get(key) ?? null)
      if (state.outdated || state.task?.status === 'running') reanalyse.set(key, state)
    }
    return await reply.page('pages/run', {
      flow,
      runs,
      pair,
      analysisKeyOf,
      timing,
      timingRows: timing === null ? null : timingRows(timing),
      analysed: new Set(versions.keys()),
      reanalyse
    }, { title: `Run ${id} · ${flow.name}`, current: flow.name })
  })
}
