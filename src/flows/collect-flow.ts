import type { Logger } from 'pino'
import type { TrifactaClient } from '../trifacta/trifacta-client.js'
import type { CollectSideStatus, FlowData, Run } from '../shared/flow-types.js'
import { pairFlowRuns } from './match.js'
import { mergeRuns } from './merge.js'

/** The part of the flow store that collection needs. */
export interface CollectStore {
  updateFlow: (name: string, fn: (d: FlowData) => FlowData) => Promise<FlowData>
}

export interface CollectDeps {
  aac: TrifactaClient
  /** null when no on-prem API is configured */
  onprem: TrifactaClient | null
  store: CollectStore
  limit: number
  ranfor: string
  windowMinutes: number
  log?: Logger
}

export interface CollectProgress {
  aac: number
  onprem: number
  message: string
}

async function side (client: TrifactaClient | null, flowName: string, deps: CollectDeps, signal: AbortSignal | undefined, onFound: (n: number) => void): Promise<{ runs: Run[], status: CollectSideStatus }> {
  if (client === null) return { runs: [], status: { ok: true, fetched: 0, error: null, skipped: true } }
  try {
    const runs = await client.listRunsOfFlow(flowName, { limit: deps.limit, ranfor: deps.ranfor, signal, onProgress: onFound })
    return { runs, status: { ok: true, fetched: runs.length, error: null } }
  } catch (err) {
    if (signal?.aborted === true) throw err
    const message = err instanceof Error ? err.message : String(err)
    deps.log?.warn({ flow: flowName, upstream: client.platform, err: message }, 'collection failed on one side')
    return { runs: [], status: { ok: false, fetched: 0, error: message } }
  }
}

/**
 * Collects the latest runs of one flow from both platforms concurrently, merges them with the saved runs
 * (a side that fails keeps its saved runs), re-pairs everything and saves. Returns the saved flow data.
 */
export async function collectFlow (flowName: string, deps: CollectDeps, opts: { signal?: AbortSignal, onProgress?: (p: CollectProgress) => void } = {}): Promise<FlowData> {
  const progress: CollectProgress = { aac: 0, onprem: 0, message: 'asking the platforms' }
  const report = (): void => opts.onProgress?.({ ...progress })
  report()
  const [aac, onprem] = await Promise.all([
    side(deps.aac, flowName, deps, opts.signal, (n) => { progress.aac = n; report() }),
    side(deps.onprem, flowName, deps, opts.signal, (n) => { progress.onprem = n; report() })
  ])
  opts.signal?.throwIfAborted()
  progress.message = 'pairing and saving'
  report()
  return await deps.store.updateFlow(flowName, (saved) => {
    const runs = mergeRuns(saved.runs, [...aac.runs, ...onprem.runs])
    const pairs = pairFlowRuns(runs, deps.windowMinutes)
    return {
      ...saved,
      runs,
      pairs,
      lastCollect: { at: new Date().toISOString(), aac: aac.status, onprem: onprem.status }
    }
  })
}
