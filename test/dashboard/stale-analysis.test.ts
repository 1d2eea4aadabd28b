import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildTestApp } from '../helper.js'
import { notable, saveSampleAnalysis, seedDbxFlow } from '../helper-dbx.js'
import { downloadTaskKey } from '../../src/databricks/dbx-service.js'

// Issue 12: when a newer download or analysis of a run fails, the dashboard still shows the older analysis, and says so.
const FLOW = 'Stale'

t.test('a failed newer download marks the shown analysis as stale, with the reason', async (t) => {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  const n = notable(ta.sim, 'rolledParts')
  await saveSampleAnalysis(ta.services.store, FLOW, n.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  const dash = `/flows/${FLOW}/runs/${n.jobGroupId}/dashboard`
  const fresh = await ta.app.inject(dash)
  t.equal(fresh.statusCode, 200)
  t.notMatch(fresh.body, /id="dash-stale"/, 'no failure yet: not stale')

  // the newer download fails (DBFS claims a 1 PiB part)
  await new Promise((resolve) => setTimeout(resolve, 20))
  ta.sim.faults.add({ upstream: 'databricks', path: '/api/2.0/dbfs/get-status', kind: 'file-size', size: 2 ** 50 })
  await ta.app.inject({ method: 'POST', url: `/flows/${FLOW}/runs/${n.jobGroupId}/eventlog/download`, headers: { 'hx-request': 'true' } })
  await ta.services.tasks.wait(downloadTaskKey(FLOW, n.runId))
  t.equal(ta.services.tasks.get(downloadTaskKey(FLOW, n.runId))?.status, 'failed')

  const stale = await ta.app.inject(dash)
  t.equal(stale.statusCode, 200)
  t.match(stale.body, /<p class="dash-notice notice-warn dash-stale" id="dash-stale" role="alert"><strong>This analysis is stale\.<\/strong> A newer download of this run's event log failed at <time datetime="[^"]+">[^<]+<\/time>: The event log is larger than 20\.0 GiB/)
  t.match(stale.body, /The figures below are from the earlier analysis saved at <time/)
  t.match(stale.body, /id="dash-kpis-title"/, 'the older analysis is still shown')
  const panel = await ta.app.inject({ url: dash, headers: { 'hx-request': 'true' } })
  t.match(panel.body, /id="dash-stale"/, 'in the htmx panel too')

  // the failure is kept beside the analysis, and a restarted app (an empty task list) still says "stale"
  const recorded = async () => await ta.services.store.analyses.readFailure(FLOW, n.runId)
  for (let i = 0; i < 100 && await recorded() === null; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(await recorded(), { what: 'download', error: /larger than 20\.0 GiB/ })
  await ta.app.close()
  const again = await buildTestApp(t, { dataDir: ta.dataDir })
  t.equal(again.services.tasks.list().length, 0, 'a new process knows no tasks')
  const restarted = await again.app.inject(dash)
  t.equal(restarted.statusCode, 200)
  t.match(restarted.body, /<strong>This analysis is stale\.<\/strong> A newer download of this run's event log failed at <time datetime="[^"]+">[^<]+<\/time>: The event log is larger than 20\.0 GiB/, 'still stale after a restart')

  // a newer analysis answers it: no longer stale, and the record is gone
  await new Promise((resolve) => setTimeout(resolve, 20))
  await saveSampleAnalysis(again.services.store, FLOW, n.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  t.notMatch((await again.app.inject(dash)).body, /id="dash-stale"/, 'a newer analysis is not stale')
  t.equal(await again.services.store.analyses.readFailure(FLOW, n.runId), null)
})

t.test('a failure recorded before the analysis was saved does not mark it, and a damaged record is ignored', async (t) => {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  const n = notable(ta.sim, 'rolledParts')
  await ta.services.store.createEventLogs(FLOW, n.runId)
  await ta.services.store.analyses.writeFailure(FLOW, n.runId, { what: 'analysis', at: '2020-01-01T00:00:00.000Z', error: 'old' })
  await saveSampleAnalysis(ta.services.store, FLOW, n.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  await ta.services.store.analyses.writeFailure(FLOW, n.runId, { what: 'analysis', at: '2020-01-01T00:00:00.000Z', error: 'old' })
  t.notMatch((await ta.app.inject(`/flows/${FLOW}/runs/${n.jobGroupId}/dashboard`)).body, /id="dash-stale"/, 'older than the analysis: not stale')
  await writeFile(join(ta.services.store.eventLogs(FLOW, n.runId).dir, 'last-failure.json'), '{ cut')
  t.equal(await ta.services.store.analyses.readFailure(FLOW, n.runId), null)
  t.equal((await ta.app.inject(`/flows/${FLOW}/runs/${n.jobGroupId}/dashboard`)).statusCode, 200)
  await t.rejects(ta.services.store.analyses.writeFailure(FLOW, n.runId, { what: 'nonsense' as 'analysis', at: 'x', error: null }), /refusing/)
})
