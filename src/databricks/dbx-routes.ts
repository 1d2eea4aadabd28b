import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { wantsFragment } from '../plugins/htmx.js'
import { RunParamsSchema, type RunParams } from '../plugins/route-schemas.js'
import { loadDatabricksRun, loadFlow, type DatabricksRun } from '../plugins/load-flow.js'
import { flowPath } from '../shared/format.js'
import { timelineRows } from './timeline.js'
import { downloadTaskKey } from './dbx-service.js'

/** Databricks drill-down of an AAC run and its event log download: a panel (fragment or page) and the download actions. */
export async function dbxRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, dbx, tasks } = app

  /** The flow and its AAC run that ran on Databricks, or 404. */
  async function aacRun (params: RunParams): Promise<{ flowName: string, run: DatabricksRun, base: string }> {
    const flow = await loadFlow(store, params.flow)
    const run = loadDatabricksRun(flow, params.jobGroupId)
    return { flowName: flow.name, run, base: `${flowPath(flow.name)}/runs/${run.jobGroupId}` }
  }

  async function downloadData (flowName: string, run: DatabricksRun, base: string): Promise<Record<string, unknown>> {
    return { base, configured: dbx.configured, jobGroupId: run.jobGroupId, jobRunId: run.databricksRunId, uploadMaxMb: app.upstreams.config.EVENTLOG_UPLOAD_MAX_MB, view: await dbx.downloadView(flowName, run.databricksRunId) }
  }

  async function sendPanel (req: FastifyRequest, params: RunParams, reply: FastifyReply, refresh: boolean): Promise<FastifyReply> {
    const { flowName, run, base } = await aacRun(params)
    // no abort when the browser leaves: the fetch is shared with concurrent viewers and ends up in the cache anyway
    const state = await dbx.panel(flowName, run.databricksRunId, { refresh })
    const d = state.details
    const data = {
      flowName,
      run,
      base,
      state,
      timeline: d === null ? [] : timelineRows(d.events, d.run.startTime),
      download: await downloadData(flowName, run, base)
    }
    reply.header('vary', 'HX-Request')
    if (wantsFragment(req)) return await reply.fragment('partials/dbx-panel', { ...data, closable: true })
    return await reply.page('pages/dbx', data, { title: `Databricks · run ${run.jobGroupId} · ${flowName}`, current: flowName })
  }

  app.get('/flows/:flow/runs/:jobGroupId/dbx', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    return await sendPanel(req, req.params, reply, false)
  })

  app.post('/flows/:flow/runs/:jobGroupId/dbx/refresh', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    if (wantsFragment(req)) return await sendPanel(req, req.params, reply, true)
    const { flowName, run, base } = await aacRun(req.params)
    await dbx.panel(flowName, run.databricksRunId, { refresh: true })
    return await reply.redirect(`${base}/dbx`, 303)
  })

  app.post('/flows/:flow/runs/:jobGroupId/eventlog/download', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    if (!dbx.configured) throw app.httpErrors.conflict('Databricks is not configured: set DATABRICKS_HOST and DATABRICKS_TOKEN to download event logs.')
    dbx.startDownload(flowName, run.databricksRunId)
    if (wantsFragment(req)) return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base))
    return await reply.redirect(base, 303)
  })

  app.get('/flows/:flow/runs/:jobGroupId/eventlog/progress', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    reply.header('cache-control', 'no-store')
    return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base))
  })

  app.post('/flows/:flow/runs/:jobGroupId/eventlog/cancel', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base } = await aacRun(req.params)
    const key = run.databricksRunId
    if (dbx.cancelDownload(flowName, key)) {
      // the partial should show the settled state, not "running" one last time
      await tasks.wait(downloadTaskKey(flowName, key)).catch(() => {})
    }
    if (wantsFragment(req)) return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base))
    return await reply.redirect(base, 303)
  })
}
