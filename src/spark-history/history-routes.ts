import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Run } from '../shared/flow-types.js'
import { wantsFragment } from '../plugins/htmx.js'
import { RunParamsSchema, type RunParams } from '../plugins/route-schemas.js'
import { loadFlow, loadRun } from '../plugins/load-flow.js'
import { flowPath } from '../shared/format.js'
import { downloadTaskKey } from '../databricks/dbx-service.js'
import { UpstreamError } from '../http/upstream-error.js'

// "<appId>" or "<appId>/<attemptId>": one radio value per candidate
const ChooseBody = Type.Object({ app: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}(/[A-Za-z0-9._-]{1,64})?$' }) })

/** The on-prem Spark panel of a run: its History Server application (found or picked), log download and analysis. */
export async function historyRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, history, tasks } = app

  async function onpremRun (params: RunParams): Promise<{ flowName: string, run: Run, base: string, runUrl: string }> {
    const flow = await loadFlow(store, params.flow)
    const run = loadRun(flow, params.jobGroupId, 'onprem')
    const runUrl = `${flowPath(flow.name)}/runs/${run.jobGroupId}`
    return { flowName: flow.name, run, base: `${runUrl}/onprem`, runUrl }
  }

  async function downloadData (flowName: string, run: Run, base: string, runUrl: string): Promise<Record<string, unknown>> {
    return {
      base,
      configured: history.configured,
      notConfigured: 'The Spark History Server is not configured, so the on-prem event log cannot be downloaded.',
      sourceLabel: 'Modified on the History Server',
      dashboardUrl: `${runUrl}/dashboard`,
      jobRunId: history.keyOf(run),
      jobGroupId: history.keyOf(run),
      uploadMaxMb: app.upstreams.config.EVENTLOG_UPLOAD_MAX_MB,
      view: await history.downloadView(flowName, run)
    }
  }

  async function sendPanel (req: FastifyRequest, params: RunParams, reply: FastifyReply, extra: Record<string, unknown> = {}): Promise<FastifyReply> {
    const { flowName, run, base, runUrl } = await onpremRun(params)
    const panel = await history.panel(flowName, run)
    const data = { flowName, run, base, runUrl, panel, ...extra, download: await downloadData(flowName, run, base, runUrl) }
    reply.header('vary', 'HX-Request')
    if (wantsFragment(req)) return await reply.fragment('partials/history-panel', data)
    return await reply.page('pages/history', data, { title: `On-prem Spark · run ${run.jobGroupId} · ${flowName}`, current: flowName })
  }

  app.get('/flows/:flow/runs/:jobGroupId/onprem', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    return await sendPanel(req, req.params, reply)
  })

  app.post('/flows/:flow/runs/:jobGroupId/onprem/choose', { schema: { params: RunParamsSchema, body: ChooseBody } }, async (req, reply) => {
    const { flowName, run, base } = await onpremRun(req.params)
    if (!history.configured) throw app.httpErrors.conflict('The Spark History Server is not configured: set SPARK_HISTORY_SERVER_URL on the settings page.')
    const [appId, attemptId] = req.body.app.split('/') as [string, string | undefined]
    try {
      await history.choose(flowName, run, appId, attemptId ?? null)
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'not-found') throw app.httpErrors.notFound(err.message)
      throw err
    }
    if (wantsFragment(req)) return await sendPanel(req, req.params, reply)
    return await reply.redirect(base, 303)
  })

  app.post('/flows/:flow/runs/:jobGroupId/onprem/eventlog/download', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base, runUrl } = await onpremRun(req.params)
    if (!history.configured) throw app.httpErrors.conflict('The Spark History Server is not configured: set SPARK_HISTORY_SERVER_URL on the settings page.')
    history.startDownload(flowName, run)
    if (wantsFragment(req)) return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base, runUrl))
    return await reply.redirect(base, 303)
  })

  app.get('/flows/:flow/runs/:jobGroupId/onprem/eventlog/progress', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base, runUrl } = await onpremRun(req.params)
    reply.header('cache-control', 'no-store')
    return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base, runUrl))
  })

  app.post('/flows/:flow/runs/:jobGroupId/onprem/eventlog/cancel', { schema: { params: RunParamsSchema } }, async (req, reply) => {
    const { flowName, run, base, runUrl } = await onpremRun(req.params)
    if (history.cancelDownload(flowName, run)) {
      await tasks.wait(downloadTaskKey(flowName, history.keyOf(run))).catch(() => {})
    }
    if (wantsFragment(req)) return await reply.fragment('partials/download-progress', await downloadData(flowName, run, base, runUrl))
    return await reply.redirect(base, 303)
  })
}
