import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { FlowParamsSchema } from '../plugins/route-schemas.js'
import { loadFlow } from '../plugins/load-flow.js'
import { buildRunRows } from './runs-table.js'
import { trendData } from './trend.js'
import { PART_LABELS } from './decompose.js'

/** JSON views of flows and pairs, for scripting. */
export async function flowApiRoutes (fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { store, flows } = app
  app.get('/api/flows', async () => {
    const names = await store.listFlows()
    return { flows: names.map((name) => ({ name, url: `/api/flows/${encodeURIComponent(name)}` })) }
  })
  app.get('/api/flows/:flow', { schema: { params: FlowParamsSchema } }, async (req) => {
    const flow = await loadFlow(store, req.params.flow)
    return { ...flow, rows: buildRunRows(flow).map((r) => ({ aac: r.aac?.jobGroupId ?? null, onprem: r.onprem?.jobGroupId ?? null, diffMs: r.diffMs, runDeltaMs: r.run?.ms ?? null, runDeltaRatio: r.run?.ratio ?? null })) }
  })
  // the flow page's trend chart: runs over time, stacked by the decomposition's parts, downsampled on the server
  app.get('/api/flows/:flow/trend', { schema: { params: FlowParamsSchema } }, async (req, reply) => {
    const flow = await loadFlow(store, req.params.flow)
    reply.header('cache-control', 'private, no-cache')
    return trendData(flow, await flows.timings.forFlow(flow), PART_LABELS)
  })
}
