// An event log analysed in a worker thread with a memory limit, so the thread that serves pages stays free and a log
// that needs more memory than allowed (a bomb, a damaged or huge log) ends the worker, not the process.
import { Worker } from 'node:worker_threads'
import type { AnalyseOptions } from './analyse.js'
import type { Analysis } from './analysis-types.js'

/** Heap of an analysis worker; the streaming analysis needs well under 200 MB whatever the log size. */
export const DEFAULT_ANALYSIS_HEAP_MB = 512

export type WorkerAnswer = { ok: true; analysis: Analysis } | { ok: false; message: string }

/** Why a worker analysis ended without an analysis; `kind` tells a log that was too large from one that was unreadable. */
export class AnalysisFailed extends Error {
  constructor (message: string, readonly kind: 'too-large' | 'unreadable' | 'cancelled' | 'crashed') {
    super(message)
    this.name = 'AnalysisFailed'
  }
}

export interface WorkerOptions extends AnalyseOptions {
  /** old-generation heap limit of the worker, MB (default DEFAULT_ANALYSIS_HEAP_MB) */
  maxHeapMb?: number
  /** aborting terminates the worker */
  signal?: AbortSignal
}

// The worker entry is this module's sibling. Run from the TypeScript sources (tsx), a worker does not inherit the
// loader: a small script registers tsx in the worker first, then imports the entry.
const FROM_SOURCES = import.meta.url.endsWith('.ts')
const ENTRY = new URL(FROM_SOURCES ? './analyse-worker.ts' : './analyse-worker.js', import.meta.url)
const BOOT = FROM_SOURCES
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(ENTRY.href)}) })`
  : null

/** analyseEventLog in a worker thread; rejects with AnalysisFailed (too large, unreadable, cancelled, crashed). */
export function analyseInWorker (input: string, opts: WorkerOptions = {}): Promise<Analysis> {
  const { maxHeapMb = DEFAULT_ANALYSIS_HEAP_MB, signal, ...analyseOpts } = opts
  if (signal?.aborted) return Promise.reject(new AnalysisFailed('The analysis was cancelled.', 'cancelled'))
  return new Promise<Analysis>((resolve, reject) => {
    const worker = new Worker(BOOT ?? ENTRY, {
      eval: BOOT !== null,
      workerData: { input, opts: analyseOpts },
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(4, maxHeapMb >> 3)) },
      stdout: false,
      stderr: false,
    })
    let settled = false
    const settle = (f: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      f()
    }
    const onAbort = (): void => {
      settle(() => reject(new AnalysisFailed('The analysis was cancelled.', 'cancelled')))
      void worker.terminate()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.once('message', (m: WorkerAnswer) => {
      settle(() => (m.ok ? resolve(m.analysis) : reject(new AnalysisFailed(`The event log cannot be read: ${m.message}`, 'unreadable'))))
      void worker.terminate()
    })
    worker.once('error', (e: Error & { code?: string }) => {
      settle(() => reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new AnalysisFailed(`The event log is damaged or too large to analyse: the analysis needed more than its ${maxHeapMb} MB of memory and was stopped.`, 'too-large')
        : new AnalysisFailed(`The analysis stopped on an error: ${e.message}`, 'crashed')))
    })
    worker.once('exit', (code) => {
      settle(() => reject(new AnalysisFailed(`The analysis stopped unexpectedly (worker exit code ${code}).`, 'crashed')))
    })
  })
}
