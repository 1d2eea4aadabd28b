// Worker thread entry of analyseInWorker: analyses one event log and posts the outcome. Runs nothing else.
import { parentPort, workerData } from 'node:worker_threads'
import { analyseEventLog, type AnalyseOptions } from './analyse.js'
import type { WorkerAnswer } from './analyse-in-worker.js'

const { input, opts } = workerData as { input: string; opts: AnalyseOptions }
let answer: WorkerAnswer
try {
  answer = { ok: true, analysis: await analyseEventLog(input, opts) }
} catch (e) {
  answer = { ok: false, message: (e as Error).message ?? String(e) }
}
parentPort?.postMessage(answer)
