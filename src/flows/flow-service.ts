import type { Logger } from 'pino'
import type { FlowStore } from '../store/flow-store.js'
import type { TaskContext, TaskRunner, TaskState } from '../tasks/task-runner.js'
import type { Upstreams } from '../upstreams/upstreams.js'
import { collectFlow } from './collect-flow.js'
import { pairFlowRuns } from './match.js'
import { createPairTimings, type PairTimings } from './pair-timing.js'

/** Collection of a flow's runs, re-pairing, and the upstream flow names the add-flow form suggests. */
export interface FlowService {
  /** starts (or joins) the collection of a flow's runs */
  startCollect: (flowName: string) => TaskState
  /** the running or last collection of a flow in this process */
  collectTask: (flowName: string) => TaskState | null
  waitCollect: (flowName: string) => Promise<void>
  cancelCollect: (flowName: string) => boolean
  /** pairs every flow's saved runs again with a new window (no upstream call); queued: the last window wins */
  repairAll: (windowMinutes: number) => Promise<void>
  /** settles when no re-pairing is queued or running */
  repairsDone: () => Promise<void>
  /** upstream flow names for the add-flow form; cached, refreshed in the background */
  suggestions: (opts?: { wait?: boolean }) => Promise<string[]>
  /** drops the cached names (the upstreams changed) */
  forgetSuggestions: () => void
  /** where the time of each pair went (decomposition), per flow and per pair */
  readonly timings: PairTimings
}

const SUGGESTION_TTL_MS = 5 * 60_000
// A page waits this long for the names at most; a slow upstream keeps filling the cache in the background.
const SUGGESTION_WAIT_MS = 3_000

/** The promise's value, or `fallback` once `ms` have passed (the promise keeps running). */
async function within<T> (p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<T>((resolve) => { timer = setTimeout(() => { resolve(fallback()) }, ms) })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

export function collectTaskKey (flowName: string): string {
  return `collect:${flowName}`
}

/** Creates the flow service over the upstreams in force, the store and the task runner. */
export function createFlowService (deps: { upstreams: Upstreams, store: FlowStore, tasks: TaskRunner, log: Logger }): FlowService {
  const { upstreams, store, tasks, log } = deps

  let suggestions: { at: number, names: string[] } | null = null
  let pending: Promise<string[]> | null = null
  async function refreshSuggestions (): Promise<string[]> {
    pending ??= (async () => {
      try {
        const lists = await Promise.allSettled([upstreams.aac().listFlowNames(), upstreams.onprem()?.listFlowNames() ?? Promise.resolve([])])
        const names = new Set<string>()
        for (const l of lists) {
          // logged here, per upstream: a page may have stopped waiting long before the failure
          if (l.status === 'fulfilled') l.value.forEach((n) => names.add(n))
          else log.warn({ err: (l.reason as Error).message }, 'could not list upstream flows')
        }
        if (lists.every((l) => l.status === 'rejected')) throw (lists[0] as PromiseRejectedResult).reason
        suggestions = { at: Date.now(), names: [...names].sort((a, b) => a.localeCompare(b)) }
        return suggestions.names
      } finally {
        pending = null
      }
    })()
    return await pending
  }

  let wantedWindow: number | null = null
  let repairing: Promise<void> | null = null

  return {
    startCollect (flowName) {
      const { config } = upstreams
      const aac = upstreams.aac()
      const onprem = upstreams.onprem()
      return tasks.start('collect', collectTaskKey(flowName), async (ctx) => {
        // one deadline for the whole collection, whatever each call's own timeout and retries add up to
        const deadline = AbortSignal.timeout(config.COLLECT_TIMEOUT_MS)
        const signal = AbortSignal.any([ctx.signal, deadline])
        try {
          await collect(signal, ctx)
        } catch (err) {
          if (deadline.aborted && !ctx.signal.aborted) {
            throw new Error(`The collection did not finish within ${config.COLLECT_TIMEOUT_MS / 1000} s (COLLECT_TIMEOUT_MS): an upstream answers too slowly. The saved runs are unchanged.`)
          }
          throw err
        }
      })
      async function collect (signal: AbortSignal, ctx: TaskContext): Promise<void> {
        await collectFlow(flowName, {
          aac,
          onprem,
          store,
          limit: config.DEFAULT_LIMIT,
          ranfor: config.RANFOR_FILTER,
          windowMinutes: config.MATCH_WINDOW_MINUTES,
          log
        }, {
          signal,
          onProgress: (p) => ctx.progress({ done: p.aac + p.onprem, total: config.DEFAULT_LIMIT * (onprem === null ? 1 : 2), unit: 'runs', message: p.message })
        })
      }
    },
    collectTask: (flowName) => tasks.get(collectTaskKey(flowName)),
    waitCollect: async (flowName) => { await tasks.wait(collectTaskKey(flowName)) },
    cancelCollect: (flowName) => tasks.cancel(collectTaskKey(flowName)),

    async repairAll (windowMinutes) {
      wantedWindow = windowMinutes
      // One pass at a time; a change during a pass makes one more pass with the newest window.
      repairing ??= (async () => {
        try {
          while (wantedWindow !== null) {
            const window = wantedWindow
            wantedWindow = null
            for (const name of await store.listFlows()) {
              await store.updateFlow(name, (d) => ({ ...d, pairs: pairFlowRuns(d.runs, window) }))
                .catch((err: Error) => { log.warn({ flow: name, err: err.message }, 'could not pair the saved runs again') })
            }
          }
        } finally {
          repairing = null
        }
      })()
      await repairing
    },
    async repairsDone () { await repairing },

    async suggestions (so = {}) {
      const fresh = suggestions !== null && Date.now() - suggestions.at < SUGGESTION_TTL_MS
      if (fresh) return suggestions!.names
      if (so.wait === true || suggestions === null) {
        try { return await within(refreshSuggestions(), SUGGESTION_WAIT_MS, () => suggestions?.names ?? []) } catch {
          return suggestions?.names ?? []
        }
      }
      refreshSuggestions().catch(() => {})
      return suggestions.names
    },
    forgetSuggestions () { suggestions = null },
    timings: createPairTimings({ store })
  }
}
