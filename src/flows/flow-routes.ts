import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.js'
import { collectTaskKey } from '../services.js'
import { layoutData, redirectAfterPost, render, wantsFragment } from '../plugins/view-helpers.js'
import { buildRunRows } from './runs-table.js'
import { flowPath } from '../shared/format.js'

const flowParams = {
  type: 'object',
  required: ['flow'],
  properties: { flow: { type: 'string', minLength: 1, maxLength: 200 } }
} as const
const runParams = {
  type: 'object',
  required: ['flow', 'jobGroupId'],
  properties: { flow: { type: 'string', minLength: 1, maxLength: 200 }, jobGroupId: { type: 'string', pattern: '^[0-9]{1,15}$' } }
} as const

interface FlowParams { flow: string }
interface RunParams { flow: string, jobGroupId: string }

/** Pages and actions of flows: list, add, remove, runs table, collect, one run. */
export async function flowRoutes (app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts
  const store = services.store

  function notFound (name: string): never {
    const err = new Error(`There is no flow named “${name}” here. Add it from the sidebar.`) as Error & { statusCode: number }
    err.statusCode = 404
    throw err
  }

  function collectView (name: string): Record<string, unknown> {
    return { flowName: name, task: services.tasks.get(collectTaskKey(name)) }
  }

  app.get('/', async (_req, reply) => {
    const summaries = await store.listFlowSummaries()
    return await render(reply, 'pages/home', { ...(await layoutData(services, null, 'Flows')), summaries, suggestions: await services.flowSuggestions() })
  })

  app.get('/flows/new', async (_req, reply) => {
    return await render(reply, 'pages/add-flow', { ...(await layoutData(services, null, 'Add a flow')), suggestions: await services.flowSuggestions({ wait: true }) })
  })

  // What a closed in-place panel is replaced with (htmx swaps the empty body into its slot).
  app.get('/fragments/empty', async (_req, reply) => await reply.type('text/html; charset=utf-8').send(''))

  app.get('/fragments/flow-suggestions', async (_req, reply) => {
    return await render(reply, 'partials/flow-suggestions', { suggestions: await services.flowSuggestions({ wait: true }) })
  })

  app.post<{ Body: { name: string } }>('/flows', {
    schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } } }
  }, async (req, reply) => {
    const flow = await store.addFlow(req.body.name.trim())
    return await redirectAfterPost(req, reply, flowPath(flow.name))
  })

  app.get<{ Params: FlowParams }>('/flows/:flow', { schema: { params: flowParams } }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return notFound(req.params.flow)
    return await render(reply, 'pages/flow', {
      ...(await layoutData(services, flow.name, flow.name)),
      flow,
      rows: buildRunRows(flow),
      analysed: await services.analyses.analysedRunIds(flow.name),
      ...collectView(flow.name)
    })
  })

  app.post<{ Params: FlowParams }>('/flows/:flow/delete', { schema: { params: flowParams } }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return notFound(req.params.flow)
    services.tasks.cancel(collectTaskKey(flow.name))
    await store.removeFlow(flow.name)
    return await redirectAfterPost(req, reply, '/')
  })

  app.post<{ Params: FlowParams }>('/flows/:flow/collect', { schema: { params: flowParams } }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return notFound(req.params.flow)
    services.startCollect(flow.name)
    if (wantsFragment(req)) return await render(reply, 'partials/collect-progress', collectView(flow.name))
    // Without JavaScript the form waits for the result, then shows it at the flow's own URL.
    await services.tasks.wait(collectTaskKey(flow.name))
    return await reply.redirect(flowPath(flow.name), 303)
  })

  app.get<{ Params: FlowParams }>('/flows/:flow/collect/progress', { schema: { params: flowParams } }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return notFound(req.params.flow)
    const view = collectView(flow.name)
    const task = view.task as ReturnType<typeof services.tasks.get>
    const finished = task !== null && task.status !== 'running'
    return await render(reply, 'partials/collect-progress', { ...view, flow, rows: finished ? buildRunRows(flow) : null, swapTable: finished, analysed: finished ? await services.analyses.analysedRunIds(flow.name) : null })
  })

  app.get<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId', { schema: { params: runParams } }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return notFound(req.params.flow)
    const id = Number(req.params.jobGroupId)
    const runs = flow.runs.filter((r) => r.jobGroupId === id)
    if (runs.length === 0) {
      const err = new Error(`Run ${id} is not among the saved runs of “${flow.name}”. Collect the latest runs first.`) as Error & { statusCode: number }
      err.statusCode = 404
      throw err
    }
    const pair = flow.pairs.find((p) => p.aacJobGroupId === id || p.onpremJobGroupId === id) ?? null
    return await render(reply, 'pages/run', { ...(await layoutData(services, flow.name, `Run ${id} · ${flow.name}`)), flow, runs, pair, analysed: await services.analyses.analysedRunIds(flow.name) })
  })
}
