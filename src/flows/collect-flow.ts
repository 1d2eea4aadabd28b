import type { Logger } from 'pino'
import type { FlowRuns, TrifactaClient } from '../trifacta/trifacta-client.js'
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
    const found = await client.listRunsOfFlow(flowName, { limit: deps.limit, ranfor: deps.ranfor, signal, onProgress: onFound })
    const { note, unmatched } = describeMatch(flowName, client.platform === 'aac' ? 'AAC' : 'On-prem Trifacta', found)
    return { runs: found.runs, status: { ok: true, fetched: found.runs.length, error: null, note, unmatched } }
  } catch (err) {
    if (signal?.aborted === true) throw err
    const message = err instanceof Error ? err.message : String(err)
    deps.log?.warn({ flow: flowName, upstream: client.platform, err: message }, 'collection failed on one side')
    return { runs: [], status: { ok: false, fetched: 0, error: message } }
  }
}

/** What the page says about how a side's runs were recognised: nothing when it went as expected. */
export function describeMatch (flowName: string, label: string, found: FlowRuns): { note: string | null, unmatched: boolean } {
  if (found.runs.length === 0 && found.scanned > 0) {
    const seen = found.seenNames.length > 0 ? ` Flows it returned runs of: ${found.seenNames.map((n) => `“${n}”`).join(', ')}.` : ''
    return { note: `${label} returned ${found.scanned} run${found.scanned === 1 ? '' : 's'} for “${flowName}” but none of this flow.${seen} Check the flow's name on ${label}.`, unmatched: true }
  }
  if (found.runs.length === 0 && found.flowExists === false) {
    return { note: `${label} has no flow named “${flowName}” (compared ignoring case and surrounding spaces).`, unmatched: true }
  }
  if (found.platformName !== null && found.platformName !== flowName) {
    return { note: `${label} names this flow “${found.platformName}”: runs were matched ignoring case and surrounding spaces.`, unmatched: false }
  }
  return { note: null, unmatched: false }
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
