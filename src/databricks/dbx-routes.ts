import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../services.js'
import type { Run } from '../shared/flow-types.js'
import { layoutData, render, wantsFragment } from '../plugins/view-helpers.js'
import { flowPath } from '../shared/format.js'
import { timelineRows } from './timeline.js'
import { downloadTaskKey } from './dbx-service.js'

const runParams = {
  type: 'object',
  required: ['flow', 'jobGroupId'],
  properties: { flow: { type: 'string', minLength: 1, maxLength: 200 }, jobGroupId: { type: 'string', pattern: '^[0-9]{1,15}$' } }
} as const

interface RunParams { flow: string, jobGroupId: string }

function httpError (status: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode: status })
}

/** Databricks drill-down of an AAC run and its event log download: a panel (fragment or page) and the download actions. */
export async function dbxRoutes (app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts
  const dbx = services.dbx

  /** The flow and its AAC run that ran on Databricks, or 404. */
  async function aacRun (params: RunParams): Promise<{ flowName: string, run: Run & { databricksRunId: string }, base: string }> {
    const flow = await services.store.readFlow(params.flow)
    if (flow === null) throw httpError(404, `There is no flow named “${params.flow}” here. Add it from the sidebar.`)
    const id = Number(params.jobGroupId)
    const run = flow.runs.find((r) => r.platform === 'aac' && r.jobGroupId === id)
    if (run === undefined) throw httpError(404, `AAC run ${id} is not among the saved runs of “${flow.name}”. Collect the latest runs first.`)
    if (run.databricksRunId === null || !/^[0-9]{1,30}$/.test(run.databricksRunId)) throw httpError(404, `AAC run ${id} did not run on Databricks, so there is no Databricks drill-down for it.`)
    return { flowName: flow.name, run: run as Run & { databricksRunId: string }, base: `${flowPath(flow.name)}/runs/${id}` }
  }

  async function downloadData (flowName: string, run: Run & { databricksRunId: string }, base: string): Promise<Record<string, unknown>> {
    return { base, configured: dbx.configured, jobRunId: run.databricksRunId, view: await dbx.downloadView(flowName, run.databricksRunId) }
  }

  async function panelData (req: FastifyRequest<{ Params: RunParams }>, refresh: boolean): Promise<Record<string, unknown>> {
    const { flowName, run, base } = await aacRun(req.params)
    // no abort when the browser leaves: the fetch is shared with concurrent viewers and ends up in the cache anyway
    const state = await dbx.panel(flowName, run.databricksRunId, { refresh })
    const d = state.details
    return {
      flowName,
      run,
      base,
      state,
      timeline: d === null ? [] : timelineRows(d.events, d.run.startTime),
      download: await downloadData(flowName, run, base)
    }
  }

  async function sendPanel (req: FastifyRequest<{ Params: RunParams }>, reply: FastifyReply, refresh: boolean): Promise<FastifyReply> {
    const data = await panelData(req, refresh)
    reply.header('vary', 'HX-Request')
    if (wantsFragment(req)) return await render(reply, 'partials/dbx-panel', { ...data, closable: true })
    const title = `Databricks · run ${req.params.jobGroupId} · ${String(data.flowName)}`
    return await render(reply, 'pages/dbx', { ...(await layoutData(services, String(data.flowName), title)), ...data })
  }

  app.get<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId/dbx', { schema: { params: runParams } }, async (req, reply) => {
    return await sendPanel(req, reply, false)
  })

  app.post<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId/dbx/refresh', { schema: { params: runParams } }, async (req, reply) => {
    if (wantsFragment(req)) return await sendPanel(req, reply, true)
    const { flowName, run, base } = await aacRun(req.params)
    await dbx.panel(flowName, run.databricksRunId, { refresh: true })
    return await reply.redirect(`${base}/dbx`, 303)
  })

  app.post<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId/eventlog/download', { schema: { params: runParams } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    if (!dbx.configured) throw httpError(409, 'Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN to download event logs.')
    services.startDownload(flowName, run.databricksRunId)
    if (wantsFragment(req)) return await render(reply, 'partials/download-progress', await downloadData(flowName, run, base))
    return await reply.redirect(base, 303)
  })

  app.get<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId/eventlog/progress', { schema: { params: runParams } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    reply.header('cache-control', 'no-store')
    return await render(reply, 'partials/download-progress', await downloadData(flowName, run, base))
  })

  app.post<{ Params: RunParams }>('/flows/:flow/runs/:jobGroupId/eventlog/cancel', { schema: { params: runParams } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    const key = run.databricksRunId
    if (dbx.cancelDownload(flowName, key)) {
      // the partial should show the settled state, not "running" one last time
      await services.tasks.wait(downloadTaskKey(flowName, key)).catch(() => {})
    }
    if (wantsFragment(req)) return await render(reply, 'partials/download-progress', await downloadData(flowName, run, base))
    return await reply.redirect(base, 303)
  })
}
