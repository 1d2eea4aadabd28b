import type { FastifyInstance } from 'fastify'
import type { Services } from '../services.js'
import { buildRunRows } from './runs-table.js'

/** JSON views of flows and pairs, for scripting. */
export async function apiRoutes (app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { store } = opts.services
  app.get('/api/flows', async () => {
    const names = await store.listFlows()
    return { flows: names.map((name) => ({ name, url: `/api/flows/${encodeURIComponent(name)}` })) }
  })
  app.get<{ Params: { flow: string } }>('/api/flows/:flow', {
    schema: { params: { type: 'object', required: ['flow'], properties: { flow: { type: 'string', minLength: 1, maxLength: 200 } } } }
  }, async (req, reply) => {
    const flow = await store.readFlow(req.params.flow)
    if (flow === null) return await reply.code(404).send({ error: 'not found', message: `no flow named ${req.params.flow}` })
    return { ...flow, rows: buildRunRows(flow).map((r) => ({ aac: r.aac?.jobGroupId ?? null, onprem: r.onprem?.jobGroupId ?? null, diffMs: r.diffMs, runDeltaMs: r.run?.ms ?? null, runDeltaRatio: r.run?.ratio ?? null })) }
  })
}
