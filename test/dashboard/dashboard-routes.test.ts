import t from 'tap'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { buildTestApp, type TestApp } from '../helper.js'
import { notable, saveSampleAnalysis, seedDbxFlow } from '../helper-dbx.js'
import type { ChartData } from '../../src/dashboard/chart-data.js'
import { clusterUsage } from '../../src/databricks/cluster-usage.js'

const FLOW = 'Dashboard · Ünïcode flow'
const flowUrl = `/flows/${encodeURIComponent(FLOW)}`

async function saveAnalysis (ta: TestApp, runId: string, sample: string): Promise<void> {
  await saveSampleAnalysis(ta.services.store, FLOW, runId, sample)
}

t.test('dashboard routes', async (t) => {
  const ta = await buildTestApp(t)
  await seedDbxFlow(ta.services.store, ta.sim, FLOW)
  const rolled = notable(ta.sim, 'rolledParts')
  const restarted = notable(ta.sim, 'restartedCluster')
  const bare = notable(ta.sim, 'noLogConfFallback')
  await saveAnalysis(ta, rolled.runId, 'tasks_executors_fail_compressed_eventlog.zstd')
  await saveAnalysis(ta, restarted.runId, 'eventlog_3nodes_12cores_exec_removed')
  const dash = (id: number): string => `${flowUrl}/runs/${id}/dashboard`
  const api = (id: number): string => `/api${flowUrl}/runs/${id}/analysis`

  t.test('node-hours from the cluster events once the DBX panel cached them, else from the executors (issue 10)', async (t) => {
    const before = (await ta.app.inject(dash(rolled.jobGroupId))).body
    t.match(before, /id="kpi-node-hours"/)
    t.notMatch(before, /\(cluster events\)/, 'no cluster events cached yet: executors\' lifetimes')
    const panel = await ta.app.inject(`${flowUrl}/runs/${rolled.jobGroupId}/dbx`)
    t.equal(panel.statusCode, 200)
    const details = await ta.services.dbx.cachedDetails(FLOW, rolled.runId)
    t.ok(details !== null && details.events.length > 0, 'the panel cached the run\'s cluster events')
    const want = clusterUsage(details!.events)
    t.ok(want !== null, 'the simulated job cluster was created and terminated within the run\'s events')
    const after = (await ta.app.inject(dash(rolled.jobGroupId))).body
    t.match(after, new RegExp(`${(want!.workerNodeHours + want!.driverHours).toFixed(2)}[\\s\\S]{0,400}\\(cluster events\\)`), 'node-hours from creation to termination')
  })

  t.test('JSON endpoint: shape, bounded sizes, caching headers', async (t) => {
    const res = await ta.app.inject({ url: api(rolled.jobGroupId) })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.headers.etag, /^W\/"a-[0-9a-z]+-[0-9a-z]+-v2"$/)
    t.ok(res.headers['last-modified'] !== undefined && !Number.isNaN(Date.parse(String(res.headers['last-modified']))))
    t.match(res.headers['cache-control'], /no-cache/)
    const d = res.json<ChartData>()
    t.equal(d.version, 2)
    t.equal(d.application.id, 'application_1603128018386_7846')
    t.equal(d.kpis.failedTasks, 53)
    t.ok(d.timeline.executors.length > 1 && d.timeline.executors.length <= 2000)
    t.ok(d.timeline.busy.length > 0 && d.timeline.busy.length <= 2000)
    t.equal(d.timeline.executors[0]!.t >= 0, true, 'times are relative to the application start')
    t.ok(d.timeline.markers.some((m) => m.kind === 'removed' && m.reason !== null), 'removals carry their reasons')
    // 230 stage attempts: the 150 longest kept, the rest summed in one trailing bar
    t.equal(d.stages.total, 230)
    t.equal(d.stages.rows.length, 151)
    t.equal(d.stages.grouped, 80)
    const other = d.stages.rows.at(-1)!
    t.equal(other.stageId, null)
    t.equal(other.count, 80)
    t.match(other.label, /^\+80 others$/)
    const first = d.stages.rows[0]!
    t.match(first, { label: String, computeMs: Number, gcMs: Number, schedulerDelayMs: Number, deserializeMs: Number, resultSerializationMs: Number, gettingResultMs: Number, inputBytes: Number, shuffleReadBytes: Number, shuffleWriteBytes: Number, diskSpillBytes: Number })
    t.ok(d.flags.some((f) => f.id === 'failed_tasks'))
    // the what-if chart's data: executors → wall clock at ½×, 1×, 2×, 4× today's cores (issue 10)
    t.same(d.whatIf!.points.map((p) => p.factor), [0.5, 1, 2, 4])
    t.ok(d.whatIf!.criticalPathMs > 0 && d.whatIf!.criticalPathMs <= d.whatIf!.points.at(-1)!.wallClockMs)

    const again = await ta.app.inject({ url: api(rolled.jobGroupId), headers: { 'if-none-match': String(res.headers.etag) } })
    t.equal(again.statusCode, 304)
    t.equal(again.body, '')
    t.equal(again.headers.etag, res.headers.etag)
    const since = await ta.app.inject({ url: api(rolled.jobGroupId), headers: { 'if-modified-since': String(res.headers['last-modified']) } })
    t.equal(since.statusCode, 304)
    const stale = await ta.app.inject({ url: api(rolled.jobGroupId), headers: { 'if-none-match': 'W/"a-0-0-v1"' } })
    t.equal(stale.statusCode, 200)
  })

  t.test('JSON endpoint: 404 without an analysis, for unknown runs and flows; 422 for a damaged file', async (t) => {
    const none = await ta.app.inject({ url: api(bare.jobGroupId) })
    t.equal(none.statusCode, 404)
    t.match(none.json(), { error: 404, message: /no analysis/ })
    t.equal((await ta.app.inject({ url: api(999999) })).statusCode, 404)
    t.equal((await ta.app.inject({ url: `/api/flows/nope/runs/${rolled.jobGroupId}/analysis` })).statusCode, 404)
    t.equal((await ta.app.inject({ url: `/api${flowUrl}/runs/12ab/analysis` })).statusCode, 400)
    const broken = notable(ta.sim, 'manyTasks')
    const dir = (await ta.services.store.createEventLogs(FLOW, broken.runId)).dir
    await writeFile(join(dir, 'analysis.json'), '{"schemaVersion": 1, "kpis": ')
    const res = await ta.app.inject({ url: api(broken.jobGroupId) })
    t.equal(res.statusCode, 422)
    const page = await ta.app.inject({ url: dash(broken.jobGroupId) })
    t.equal(page.statusCode, 200)
    t.match(page.body, /cannot be read/)
    t.match(page.body, /Download and analyse again/)
  })

  t.test('full page without JavaScript: KPIs, flags, recommendations and tables server-rendered', async (t) => {
    const res = await ta.app.inject({ url: dash(rolled.jobGroupId) })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /text\/html/)
    t.match(res.headers.vary, /HX-Request/)
    const html = res.body
    t.match(html, /^<!doctype html>/)
    t.match(html, /<h1 id="dash-title">Spark shell<\/h1>/)
    for (const id of ['wall-clock', 'executors', 'cores', 'core-utilisation', 'task-time', 'gc', 'scheduler-delay', 'io', 'shuffle', 'spill', 'failed-tasks', 'stages-jobs']) {
      t.match(html, `id="kpi-${id}"`, `KPI ${id}`)
    }
    t.match(html, /<li class="kpi tone-warn" id="kpi-failed-tasks"[^>]*>\s*<span class="kpi-label">Failed tasks<\/span>\s*<span class="kpi-value">53<\/span>/)
    // a 1.6 min run is capped at warning (issue 10: severity from impact, short apps capped)
    t.match(html, /class="flag sev-warning" id="flag-failed_tasks"/)
    t.match(html, /class="flag sev-warning" id="flag-executor_loss"/)
    // evidence links to the rows it names
    t.match(html, /<a href="#stage-238">238<\/a>/)
    t.match(html, /<tr id="stage-238" class="flagged">/)
    t.match(html, /<a class="chip" href="#executor-2">2<\/a>/)
    t.match(html, /<tr id="executor-2" class="flagged">/)
    t.match(html, /id="rec-investigate_failures"/)
    // severity with impact, the root cause first, the what-if and node-hours (issue 10)
    t.match(html, /class="flag-impact">costs ~[\d.]+ (s|min) of 1\.6 min</)
    t.match(html, /id="root-causes"[^]*?executor lost under the task/)
    t.match(html, /<canvas id="chart-whatif"/)
    t.match(html, /<table class="data what-if-table">[^]*?<th scope="row">unlimited<\/th>/)
    t.match(html, /id="kpi-node-hours"/)
    t.match(html, /id="kpi-core-hours"/)
    // 5 ms of delay per tiny task is overhead, not infrastructure: no locality advice (issue 10)
    t.notMatch(html, /id="rec-scale_out_capacity"/)
    // 230 stages: the table shows the ones that matter and links to all
    t.match(html, /Showing \d+ of 230 stage attempts/)
    t.match(html, /\?all=stages#stages/)
    // charts: canvases with text fallbacks, the data URL, and the island script + Chart.js from node_modules
    t.match(html, /<canvas id="chart-timeline" role="img" aria-describedby="chart-timeline-alt" aria-label="[^"]+">/)
    t.match(html, /<canvas id="chart-stages" role="img" aria-describedby="chart-stages-alt"/)
    // each chart's text alternative names the table holding the same numbers, and that table is on the page (issue 14)
    t.match(html, /id="chart-timeline-alt">[^<]*<a href="#executors">/)
    t.match(html, /id="chart-stages-alt">[^<]*<a href="#stages">/)
    t.match(html, /<section class="dash-table" id="executors"/)
    t.match(html, /<section class="dash-table" id="stages"/)
    t.match(html, `data-analysis-url="/api${flowUrl.replace(/%/g, '%')}/runs/${rolled.jobGroupId}/analysis"`)
    t.match(html, /<script src="\/vendor\/chart\.js@[^/]+\/chart\.umd\.min\.js" defer><\/script>/)
    t.match(html, /<script src="\/static\/js\/dashboard\.js" defer><\/script>/)
    t.notMatch(html, /<script>(?!<\/script>)/, 'no inline script')
    t.notMatch(html, / on[a-z]+="/, 'no inline handlers')
    t.notMatch(html, / style="/, 'no inline styles')

    const all = await ta.app.inject({ url: `${dash(rolled.jobGroupId)}?all=stages` })
    t.equal((all.body.match(/<tr id="stage-\d+"/g) ?? []).length, new Set((all.body.match(/<tr id="stage-(\d+)"/g) ?? [])).size)
    t.notMatch(all.body, /Showing \d+ of 230 stage attempts/)
    t.equal((await ta.app.inject({ url: `${dash(rolled.jobGroupId)}?all=bogus` })).statusCode, 400)
  })

  t.test('truncated or incomplete logs say so', async (t) => {
    const res = await ta.app.inject({ url: dash(restarted.jobGroupId) })
    t.equal(res.statusCode, 200)
    t.match(res.body, /class="dash-notice notice-info"[^>]*><strong>Note.<\/strong> The log has no application end/)
    // its executor events carry 2023 timestamps in a 2021 app: reported as damage, and the removal is teardown
    t.match(res.body, /outside the application&#39;s span|outside the application's span/)
    t.notMatch(res.body, /id="flag-preemption_risk"/)
  })

  t.test('panel fragment: a dialog without a page around it', async (t) => {
    const res = await ta.app.inject({ url: dash(rolled.jobGroupId), headers: { 'hx-request': 'true' } })
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, /<html|<body|<!doctype/i)
    t.match(res.body, /^<div id="dashboard-panel" class="dash-layer" data-dash-url="[^"]+\/dashboard">/)
    t.match(res.body, /role="dialog" aria-modal="true" aria-labelledby="dash-title"/)
    t.match(res.body, /<h2 id="dash-title">/)
    t.match(res.body, /<button type="button" class="dash-close" data-dash-close/)
    t.match(res.body, /data-chart-src="\/vendor\/chart\.js@/)
    t.match(res.body, /id="kpi-core-utilisation"/)
    // a history restore wants the whole page
    const restore = await ta.app.inject({ url: dash(rolled.jobGroupId), headers: { 'hx-request': 'true', 'hx-history-restore-request': 'true' } })
    t.match(restore.body, /^<!doctype html>/)
  })

  t.test('no analysis yet: say so and offer the download', async (t) => {
    const res = await ta.app.inject({ url: dash(bare.jobGroupId) })
    t.equal(res.statusCode, 200)
    t.match(res.body, /Not analysed yet/)
    t.match(res.body, new RegExp(`<form method="post" action="${flowUrl}/runs/${bare.jobGroupId}/eventlog/download" class="dash-download">`))
    t.notMatch(res.body, /chart\.umd/, 'no Chart.js when there is nothing to chart')
    t.notMatch(res.body, /data-analysis-url/)
    t.equal((await ta.app.inject({ url: dash(4242) })).statusCode, 404)
  })

  t.test('➜ Dashboard links only on analysed runs: runs table, run page', async (t) => {
    const flow = await ta.app.inject({ url: flowUrl })
    const links = flow.body.match(/<a class="dash-link" [^>]*>/g) ?? []
    t.equal(links.length, 3, 'rolledParts, restartedCluster and the damaged one have analysis.json')
    t.match(links.join('\n'), `href="${flowUrl}/runs/${rolled.jobGroupId}/dashboard" hx-get="${flowUrl}/runs/${rolled.jobGroupId}/dashboard" hx-target="#dashboard-panel" hx-swap="outerHTML" hx-push-url="true" data-dashboard-link`)
    t.notMatch(flow.body, `/runs/${bare.jobGroupId}/dashboard`)
    t.match(flow.body, /<div id="dashboard-panel"><\/div>/)
    t.match(flow.body, /<script src="\/static\/js\/dashboard\.js" defer>/)
    t.match(flow.body, `${flowUrl}/compare">Compare analysed runs</a>`)
    const run = await ta.app.inject({ url: `${flowUrl}/runs/${restarted.jobGroupId}` })
    t.match(run.body, `href="${flowUrl}/runs/${restarted.jobGroupId}/dashboard"`)
    const other = await ta.app.inject({ url: `${flowUrl}/runs/${bare.jobGroupId}` })
    t.notMatch(other.body, /class="dash-link"/)
  })

  t.test('compare two analysed runs', async (t) => {
    const form = await ta.app.inject({ url: `${flowUrl}/compare` })
    t.equal(form.statusCode, 200)
    t.match(form.body, /<select id="compare-a" name="a" required>/)
    t.equal((form.body.match(/<option value="\d+"/g) ?? []).length, 6, 'the three runs with an analysis.json in each select (a damaged one says so when chosen)')
    const res = await ta.app.inject({ url: `${flowUrl}/compare?a=${restarted.jobGroupId}&b=${rolled.jobGroupId}` })
    t.equal(res.statusCode, 200)
    // A's wall clock is 6 s now that its executors' 2023 timestamps are damage, not a 930-day run: B is slower
    t.match(res.body, /<tr id="cmp-wall-clock" class="cmp-worse">/)
    t.match(res.body, /<tr id="cmp-failed-tasks" class="cmp-worse">\s*<th scope="row">Failed tasks<\/th>\s*<td class="num">0<\/td>\s*<td class="num">53<\/td>\s*<td class="num delta-cell">\+53<\/td>/)
    t.match(res.body, /Red flags of A/)
    const same = await ta.app.inject({ url: `${flowUrl}/compare?a=${rolled.jobGroupId}&b=${rolled.jobGroupId}` })
    t.match(same.body, /Choose two different runs/)
    const missing = await ta.app.inject({ url: `${flowUrl}/compare?a=${bare.jobGroupId}&b=${rolled.jobGroupId}` })
    t.match(missing.body, /Choose two runs that have an analysis/)
    t.equal((await ta.app.inject({ url: `${flowUrl}/compare?a=x` })).statusCode, 400)
    // from a dashboard: its run is B, another analysed run is offered as A, nothing is compared yet
    const fromDash = await ta.app.inject({ url: `${flowUrl}/compare?b=${rolled.jobGroupId}` })
    t.notMatch(fromDash.body, /side-error/)
    t.match(fromDash.body, new RegExp(`<select id="compare-b"[^]*?<option value="${rolled.jobGroupId}" selected>`))
    t.match(fromDash.body, /<select id="compare-a"[^]*?<option value="\d+" selected>/)
    t.notMatch(fromDash.body, /compare-table/)
  })
})
