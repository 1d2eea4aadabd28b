/** The two Trifacta platforms whose runs are compared. */
export type Platform = 'aac' | 'onprem'

/** One job group (one run of one flow output) on one platform, as collected and saved. */
export interface Run {
  platform: Platform
  jobGroupId: number
  /** Created | InProgress | Complete | Failed | Canceled, or an unknown upstream value kept verbatim */
  status: string
  ranfor: string | null
  ranfrom: string | null
  flowId: number | null
  flowName: string
  /** recipe / output (wrangled dataset) name, when upstream names it */
  outputName: string | null
  flowRunId: number | null
  /** ISO-8601 UTC: job group createdAt (submission) */
  submittedAt: string
  /** ISO-8601 UTC: earliest job startedAt, else null */
  startedAt: string | null
  /** ISO-8601 UTC: latest job finishedAt, else updatedAt for terminal states, else null */
  finishedAt: string | null
  /** startedAt - submittedAt, ms */
  queueMs: number | null
  /** finishedAt - startedAt (or - submittedAt when no start is known), ms */
  runMs: number | null
  /** executionLanguage of the wrangle job */
  executionLanguage: string | null
  /** Databricks run id from the wrangle job's cpJobId.databricksJobId (a string: ids can exceed 2^53) */
  databricksRunId: string | null
  databricksWorkspaceId: string | null
  /** deep link to the platform UI: <host>/jobs/<jobGroupId> */
  link: string
  /** error message of the failed job, if any */
  errorMessage: string | null
}

/** An AAC run matched with an on-prem run of the same flow (and output). */
export interface Pair {
  aacJobGroupId: number
  onpremJobGroupId: number
  /** |aac.submittedAt - onprem.submittedAt| in ms */
  diffMs: number
}

/** Outcome of the last collection, per platform. */
export interface CollectSideStatus {
  ok: boolean
  /** runs fetched this time */
  fetched: number
  /** human readable error naming the upstream and status; never contains a token */
  error: string | null
  skipped?: boolean
  /** how the runs were recognised when worth saying (name spelled differently), or why none were */
  note?: string | null
  /** true when the platform returned rows but none belonged to the flow */
  unmatched?: boolean
}

export interface CollectStatus {
  at: string
  aac: CollectSideStatus
  onprem: CollectSideStatus
}

/** Everything saved about one flow: flows/<flow-dir>/flow_data.json */
export interface FlowData {
  schemaVersion: 1
  name: string
  addedAt: string
  /** newest submittedAt first */
  runs: Run[]
  pairs: Pair[]
  lastCollect: CollectStatus | null
}
