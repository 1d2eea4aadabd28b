// The app's analysis in a worker thread (issue 12): the same analysis as in the calling thread, clear failures for an
// unreadable log, a log that needs more than the worker's memory, and a cancel; the process survives them all.
import t from 'tap'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { analyseEventLog } from '../../src/spark/analyse.js'
import { AnalysisFailed, analyseInWorker } from '../../src/spark/analyse-in-worker.js'
import { EVENTLOGS } from '../helper-fixtures.js'
import { buildTestApp } from '../helper.js'
import { notable, seedDbxFlow } from '../helper-dbx.js'
import { analyseTaskKey, downloadTaskKey } from '../../src/databricks/dbx-service.js'

const QUAL = path.join(EVENTLOGS, 'spark-rapids-tools/spark-events-qualification')
const SMALL = path.join(EVENTLOGS, 'spark/local-1642039451826')
const BIG = path.join(QUAL, 'nds_q88_photon_db_13_3.zstd')
const strip = <T extends { generatedAt: string }>(a: T): T => ({ ...a, generatedAt: '' })

async function failure (p: Promise<unknown>): Promise<AnalysisFailed> {
  try {
    await p
  } catch (e) {
    if (e instanceof AnalysisFailed) return e
    throw e
  }
  throw new Error('the analysis did not fail')
}

t.test('success: the worker gives the same analysis as the calling thread', async (t) => {
  for (const f of [SMALL, path.join(QUAL, 'nds_q72_dataproc_2_2.zstd')]) {
    const [inWorker, inThread] = await Promise.all([analyseInWorker(f), analyseEventLog(f)])
    t.same(strip(inWorker), strip(inThread), path.basename(f))
  }
})

t.test('worker error: an unreadable log is a clear failure, not a crash', async (t) => {
  const e = await failure(analyseInWorker('/nonexistent/eventlog'))
  t.equal(e.kind, 'unreadable')
  t.match(e.message, /^The event log cannot be read: .*\/nonexistent\/eventlog/)
})

t.test('memory limit: a log that needs more than the worker heap ends as "too large"; the process goes on', async (t) => {
  const e = await failure(analyseInWorker(BIG, { maxHeapMb: 8 }))
  t.equal(e.kind, 'too-large')
  t.match(e.message, /damaged or too large to analyse: the analysis needed more than its 8 MB of memory/)
  // the process analyses on
  t.equal((await analyseInWorker(SMALL)).kpis.tasks, 35)
})

t.test('cancel: aborting ends the worker', async (t) => {
  const ac = new AbortController()
  const p = analyseInWorker(BIG, { signal: ac.signal })
  await sleep(50)
  ac.abort()
  t.equal((await failure(p)).kind, 'cancelled')
})

t.test('the app: an analysis whose worker dies of memory fails its task with the message; pages answer', async (t) => {
  // 2 MB: too little for any analysis, so the worker dies of memory whatever the log
  const ta = await buildTestApp(t, { analysisHeapMb: 2 })
  const FLOW = 'Worker flow'
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  const n = notable(ta.sim, 'manyTasks')
  const base = `/flows/${encodeURIComponent(FLOW)}/runs/${n.jobGroupId}`
  const start = await ta.app.inject({ method: 'POST', url: `${base}/eventlog/download` })
  t.equal(start.statusCode, 303)
  await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
  await ta.services.tasks.wait(analyseTaskKey(FLOW, n.runId))
  const task = ta.services.tasks.get(analyseTaskKey(FLOW, n.runId))
  t.equal(task?.status, 'failed')
  t.match(task?.error, /damaged or too large to analyse/)
  const dash = await ta.app.inject({ url: `${base}/dashboard` })
  t.equal(dash.statusCode, 200)
  t.match(dash.body, /The last analysis failed: The event log is damaged or too large to analyse/)
  t.equal((await ta.app.inject({ url: '/' })).statusCode, 200, 'the app still answers')
})
