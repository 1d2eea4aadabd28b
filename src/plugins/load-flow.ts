import { httpErrors } from '@fastify/sensible'
import type { FlowData, Platform, Run } from '../shared/flow-types.js'
import type { FlowStore } from '../store/flow-store.js'

/** An AAC run that ran on Databricks (its Databricks run id checked as one). */
export type DatabricksRun = Run & { databricksRunId: string }

/** The flow of a route, or a 404 that tells the user what to do. */
export async function loadFlow (store: Pick<FlowStore, 'readFlow'>, name: string): Promise<FlowData> {
  const flow = await store.readFlow(name)
  if (flow === null) throw httpErrors.notFound(`There is no flow named “${name}” here. Add it from the sidebar.`)
  return flow
}

/**
 * A saved run of the flow, or a 404. Job group ids of the two platforms can collide: without a platform the AAC run
 * wins (only AAC runs have Databricks details and event logs).
 */
export function loadRun (flow: FlowData, jobGroupId: number | string, platform?: Platform): Run {
  const id = Number(jobGroupId)
  const run = platform === undefined
    ? flow.runs.find((r) => r.jobGroupId === id && r.platform === 'aac') ?? flow.runs.find((r) => r.jobGroupId === id)
    : flow.runs.find((r) => r.jobGroupId === id && r.platform === platform)
  if (run === undefined) throw httpErrors.notFound(`${platform === 'aac' ? 'AAC run' : 'Run'} ${id} is not among the saved runs of “${flow.name}”. Collect the latest runs first.`)
  return run
}

/** The AAC run with its Databricks run id, or a 404 saying it did not run on Databricks. */
export function loadDatabricksRun (flow: FlowData, jobGroupId: number | string): DatabricksRun {
  const run = loadRun(flow, jobGroupId, 'aac')
  if (run.databricksRunId === null || !/^[0-9]{1,30}$/.test(run.databricksRunId)) {
    throw httpErrors.notFound(`AAC run ${run.jobGroupId} did not run on Databricks, so there is no Databricks drill-down for it.`)
  }
  return run as DatabricksRun
}
