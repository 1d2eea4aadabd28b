import type { Logger } from 'pino'

export type TaskKind = 'collect' | 'download' | 'upload' | 'analyse'
export type TaskStatus = 'running' | 'done' | 'failed' | 'cancelled'

export interface TaskProgress {
  done: number
  /** null while unknown */
  total: number | null
  unit: string
  message: string
}

/** What pages and htmx partials read about a background task. */
export interface TaskState {
  key: string
  kind: TaskKind
  status: TaskStatus
  startedAt: string
  finishedAt: string | null
  progress: TaskProgress
  error: string | null
}

export interface TaskContext {
  signal: AbortSignal
  progress: (p: Partial<TaskProgress>) => void
}

export interface TaskRunner {
  /** Starts a task unless one with the same key is running, in which case that one is returned. */
  start: (kind: TaskKind, key: string, fn: (ctx: TaskContext) => Promise<void>, then?: () => void) => TaskState
  get: (key: string) => TaskState | null
  /** the promise of a running task (tests and chained work wait on it) */
  wait: (key: string) => Promise<void>
  cancel: (key: string) => boolean
  list: () => TaskState[]
  /** cancels everything and waits for the tasks to settle (graceful shutdown) */
  close: () => Promise<void>
}

interface Entry {
  state: TaskState
  controller: AbortController
  promise: Promise<void>
}

// Finished tasks stay readable for a while so a polling partial sees the final state.
const KEEP_FINISHED = 500

/** One small runner for collect, download and analyse tasks: progress, errors and cancellation in one place. */
export function createTaskRunner (deps: { log?: Logger, onFinish?: (state: TaskState) => void } = {}): TaskRunner {
  const tasks = new Map<string, Entry>()

  function prune (): void {
    if (tasks.size <= KEEP_FINISHED) return
    for (const [key, e] of tasks) {
      if (e.state.status !== 'running') tasks.delete(key)
      if (tasks.size <= KEEP_FINISHED) break
    }
  }

  return {
    start (kind, key, fn, then) {
      const existing = tasks.get(key)
      if (existing?.state.status === 'running') return { ...existing.state }
      const controller = new AbortController()
      const state: TaskState = {
        key,
        kind,
        status: 'running',
        startedAt: new Date().toISOString(),
        finishedAt: null,
        progress: { done: 0, total: null, unit: '', message: 'starting' },
        error: null
      }
      const ctx: TaskContext = {
        signal: controller.signal,
        progress: (p) => { state.progress = { ...state.progress, ...p } }
      }
      const promise = (async () => {
        try {
          await fn(ctx)
          state.status = controller.signal.aborted ? 'cancelled' : 'done'
        } catch (err) {
          if (controller.signal.aborted) {
            state.status = 'cancelled'
          } else {
            state.status = 'failed'
            state.error = err instanceof Error ? err.message : String(err)
            deps.log?.warn({ task: key, kind, err: state.error }, 'task failed')
          }
        } finally {
          state.finishedAt = new Date().toISOString()
        }
        // what must outlive the process (a failure that marks an analysis stale) is saved by the owner of the runner
        try { deps.onFinish?.({ ...state, progress: { ...state.progress } }) } catch (err) { deps.log?.error({ task: key, err }, 'task finish hook failed') }
        if (state.status === 'done' && then !== undefined) {
          try { then() } catch (err) { deps.log?.error({ task: key, err }, 'task follow-up failed') }
        }
      })()
      tasks.delete(key)
      tasks.set(key, { state, controller, promise })
      prune()
      return { ...state }
    },
    get (key) {
      const e = tasks.get(key)
      return e === undefined ? null : { ...e.state, progress: { ...e.state.progress } }
    },
    async wait (key) {
      await tasks.get(key)?.promise
    },
    cancel (key) {
      const e = tasks.get(key)
      if (e === undefined || e.state.status !== 'running') return false
      e.controller.abort(new Error('cancelled by the user'))
      return true
    },
    list () {
      return [...tasks.values()].map((e) => ({ ...e.state }))
    },
    async close () {
      for (const e of tasks.values()) e.controller.abort(new Error('shutting down'))
      await Promise.allSettled([...tasks.values()].map(async (e) => await e.promise))
    }
  }
}
