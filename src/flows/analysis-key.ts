import type { Run } from '../shared/flow-types.js'

/**
 * The key under which a run's event log and analysis are kept (flows/<flow>/eventlogs/<key>/): an AAC run's
 * Databricks run id, an on-prem run's job group id prefixed with "onprem-" (its Spark application comes from the
 * on-prem History Server). Null when the run has nothing to analyse yet (an AAC run without a Databricks run).
 */
export function analysisKeyOf (run: Pick<Run, 'platform' | 'jobGroupId' | 'databricksRunId'>): string | null {
  if (run.platform === 'onprem') return `onprem-${run.jobGroupId}`
  return run.databricksRunId
}
